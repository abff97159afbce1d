package dev.buildserver.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.JsonErrorResponseBodyProvider;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * The body of every error the server answers on its own (no route, wrong method, a bad parameter,
 * an unsupported media type, an unexpected failure): the API's {@code {"error", "reason"}} in place
 * of Micronaut's HAL document. A server error never echoes an exception's text, which may carry
 * request data.
 */
@Singleton
@Replaces(JsonErrorResponseBodyProvider.class)
public class ApiErrorBody implements JsonErrorResponseBodyProvider<Map<String, String>> {

  @Override
  public Map<String, String> body(ErrorContext context, HttpResponse<?> response) {
    int code = response.code();
    if (code >= 500) {
      return Map.of(
          "error",
          "internal error (" + code + "): see the operator log",
          "reason",
          "InternalError");
    }
    String message =
        context.getErrors().stream().map(Error::getMessage).findFirst().orElse(response.reason());
    return Map.of("error", message, "reason", reason(code));
  }

  static String reason(int code) {
    return switch (code) {
      case 400 -> "BadRequest";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "NotFound";
      case 405 -> "MethodNotAllowed";
      case 406 -> "NotAcceptable";
      case 413 -> "TooLarge";
      case 415 -> "UnsupportedMediaType";
      default -> "HttpError" + code;
    };
  }
}
