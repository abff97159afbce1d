package dev.buildserver.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.server.HttpServerConfiguration;
import io.micronaut.http.server.annotation.PreMatching;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

/**
 * Guards every {@code /buildserver/} call, reads and writes alike, with {@link ApiAccessCheck}:
 * Host and Origin, then the bearer token of {@link ApiToken}, then the content type of a write.
 * Every refusal is the API's JSON error body. It runs before route matching and ahead of
 * Micronaut's CORS filter (a pre-matching filter of order 9250; this one has order 0), so a
 * cross-site call gets that body too, and a call to no route is refused before it is a 404.
 */
@ServerFilter("/buildserver/**")
public class ApiAccessFilter {

  private final ApiAccessCheck check;

  public ApiAccessFilter(ApiToken token, HttpServerConfiguration server) {
    this.check =
        new ApiAccessCheck(
            token::accepts, server.getHost().map(ApiAccessFilter::isLoopback).orElse(false));
  }

  @RequestFilter
  @PreMatching
  @Nullable
  public HttpResponse<?> check(HttpRequest<?> request) {
    HttpHeaders headers = request.getHeaders();
    var call =
        new ApiAccessCheck.Call(
            request.getMethodName(),
            request.getPath(),
            header(headers, HttpHeaders.HOST),
            header(headers, HttpHeaders.ORIGIN),
            header(headers, HttpHeaders.CONTENT_TYPE),
            header(headers, HttpHeaders.AUTHORIZATION),
            request.isSecure(),
            request.getServerAddress().getPort());
    return check.check(call).map(ApiAccessFilter::answer).orElse(null);
  }

  /** A header's value; repeated ones joined, so that two Hosts or two Origins match nothing. */
  @Nullable
  private static String header(HttpHeaders headers, String name) {
    List<String> values = headers.getAll(name);
    return values.isEmpty() ? null : String.join(", ", values);
  }

  private static HttpResponse<?> answer(ApiAccessCheck.Refusal refusal) {
    MutableHttpResponse<Map<String, String>> response =
        HttpResponse.<Map<String, String>>status(HttpStatus.valueOf(refusal.status()))
            .body(Map.of("error", refusal.message(), "reason", refusal.reason()));
    if (refusal.status() == 401) {
      response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
    }
    return response;
  }

  /** Whether micronaut.server.host is a loopback address (read once, at start). */
  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
