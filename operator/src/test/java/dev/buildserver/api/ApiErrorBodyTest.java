package dev.buildserver.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import org.junit.jupiter.api.Test;

class ApiErrorBodyTest {

  private final ApiErrorBody body = new ApiErrorBody();

  @Test
  void aServerErrorNeverEchoesTheExceptionText() {
    var context =
        ErrorContext.builder(HttpRequest.GET("/buildserver/assets"))
            .cause(new IllegalStateException("Authorization: Bearer s3cr3t"))
            .errorMessage("Internal Server Error: Authorization: Bearer s3cr3t")
            .build();
    var answer = body.body(context, HttpResponse.serverError());
    assertThat(answer).containsEntry("reason", "InternalError");
    assertThat(answer.toString()).doesNotContain("s3cr3t");
  }

  @Test
  void aClientErrorKeepsTheServersMessageAndNamesItsStatus() {
    var context =
        ErrorContext.builder(HttpRequest.POST("/buildserver/put-asset", "x"))
            .errorMessage("Content Type [text/xml] not allowed. Allowed types: [application/json]")
            .build();
    var answer = body.body(context, HttpResponse.status(HttpStatus.UNSUPPORTED_MEDIA_TYPE));
    assertThat(answer)
        .containsEntry("reason", "UnsupportedMediaType")
        .containsEntry(
            "error", "Content Type [text/xml] not allowed. Allowed types: [application/json]");
  }
}
