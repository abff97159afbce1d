package dev.buildserver.api;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.util.Optional;

/** The HTTP API, under {@code buildserver.api}. */
@ConfigurationProperties("buildserver.api")
public class ApiSettings {

  private String token;
  private String tokenFile;
  private String serviceAccount;

  /**
   * The bearer token every {@code /buildserver/} call must send. Without one, the operator makes a
   * random token at start and writes it to {@link #getTokenFile()}.
   */
  public Optional<String> getToken() {
    return Optional.ofNullable(token).filter(t -> !t.isBlank());
  }

  public void setToken(String token) {
    this.token = token;
  }

  /**
   * Where a token the operator made is written (only the user can read it); without a setting,
   * {@code $XDG_RUNTIME_DIR/buildserver/api-token}, else {@code
   * ${java.io.tmpdir}/buildserver-${user.name}/api-token}. A configured token is never written.
   */
  public Optional<String> getTokenFile() {
    return Optional.ofNullable(tokenFile).filter(f -> !f.isBlank());
  }

  public void setTokenFile(String tokenFile) {
    this.tokenFile = tokenFile;
  }

  /**
   * {@code NAMESPACE/NAME} of the ServiceAccount whose IAM role the API's AWS calls are made as.
   * Without it the API acts as the operator's own identity, unless the identity lockdown ({@code
   * buildserver.identity.default-service-account}) is on: then its AWS calls are refused.
   */
  public Optional<String> getServiceAccount() {
    return Optional.ofNullable(serviceAccount).map(String::trim).filter(s -> !s.isEmpty());
  }

  public void setServiceAccount(String serviceAccount) {
    this.serviceAccount = serviceAccount;
  }
}
