package dev.buildserver.asset;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.util.Optional;

/** The HTTP API, under {@code buildserver.api}. */
@ConfigurationProperties("buildserver.api")
public class ApiSettings {

  private String token;

  /**
   * The bearer token every {@code /buildserver/} call must send; without one, calls are allowed
   * only while the server listens on loopback alone.
   */
  public Optional<String> getToken() {
    return Optional.ofNullable(token).filter(t -> !t.isBlank());
  }

  public void setToken(String token) {
    this.token = token;
  }
}
