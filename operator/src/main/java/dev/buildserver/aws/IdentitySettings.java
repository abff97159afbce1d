package dev.buildserver.aws;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;
import java.util.Optional;

/**
 * Which AWS identity resources act as, under {@code buildserver.identity}: a resource with {@code
 * spec.serviceAccountName} acts as that ServiceAccount's role; one without acts as {@code
 * default-service-account} of its own namespace when that is set (the lockdown: the operator's own
 * identity is then never used for a resource), else as the operator itself.
 */
@ConfigurationProperties("buildserver.identity")
public class IdentitySettings {

  private String defaultServiceAccount;
  private String audience = "sts.amazonaws.com";
  private Duration tokenExpiration = Duration.ofHours(1);
  private Duration lookupCacheTime = Duration.ofSeconds(30);

  /** The ServiceAccount of a resource without spec.serviceAccountName, in its own namespace. */
  public Optional<String> getDefaultServiceAccount() {
    return Optional.ofNullable(defaultServiceAccount).map(String::trim).filter(s -> !s.isEmpty());
  }

  public void setDefaultServiceAccount(String defaultServiceAccount) {
    this.defaultServiceAccount = defaultServiceAccount;
  }

  /** Whether the operator's own identity is kept from every resource. */
  public boolean isLockedDown() {
    return getDefaultServiceAccount().isPresent();
  }

  /** The audience of the ServiceAccount tokens exchanged with STS (IRSA's). */
  public String getAudience() {
    return audience;
  }

  public void setAudience(String audience) {
    this.audience = audience;
  }

  /** How long a requested ServiceAccount token is valid (the API server's minimum is 10 min). */
  public Duration getTokenExpiration() {
    return tokenExpiration;
  }

  public void setTokenExpiration(Duration tokenExpiration) {
    this.tokenExpiration = tokenExpiration;
  }

  /** How long a ServiceAccount's role annotation is trusted before it is read again. */
  public Duration getLookupCacheTime() {
    return lookupCacheTime;
  }

  public void setLookupCacheTime(Duration lookupCacheTime) {
    this.lookupCacheTime = lookupCacheTime;
  }
}
