package dev.buildserver.asset;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.server.HttpServerConfiguration;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Guards the HTTP API, reads and writes alike: with {@code buildserver.api.token} set, every {@code
 * /buildserver/} call needs {@code Authorization: Bearer <token>}; without a token, calls are
 * allowed only while the server listens on loopback alone.
 */
@ServerFilter("/buildserver/**")
public class ApiTokenFilter {

  private final String token;
  private final boolean loopbackOnly;

  public ApiTokenFilter(ApiSettings settings, HttpServerConfiguration server) {
    this.token = settings.getToken().orElse(null);
    this.loopbackOnly = server.getHost().map(ApiTokenFilter::isLoopback).orElse(false);
  }

  @RequestFilter
  @Nullable
  public HttpResponse<?> check(HttpRequest<?> request) {
    if (token == null) {
      return loopbackOnly
          ? null
          : refuse(
              "refused: the server listens beyond loopback and no API token is set;"
                  + " set buildserver.api.token (BUILDSERVER_API_TOKEN) and send Authorization: Bearer <token>");
    }
    String header = request.getHeaders().getAuthorization().orElse("");
    String presented = header.startsWith("Bearer ") ? header.substring(7).trim() : "";
    if (!MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      return refuse("missing or wrong bearer token: send Authorization: Bearer <token>");
    }
    return null;
  }

  private static HttpResponse<?> refuse(String message) {
    return HttpResponse.status(HttpStatus.UNAUTHORIZED)
        .header("WWW-Authenticate", "Bearer")
        .body(Map.of("error", message, "reason", "Unauthorized"));
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
