package dev.buildserver.aws;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.net.URI;
import java.util.Optional;

/**
 * AWS settings of the operator and the CLI: {@code buildserver.aws.region} and {@code
 * buildserver.aws.endpoint} (for emulators such as moto or LocalStack). Without an endpoint the
 * standard {@code AWS_ENDPOINT_URL} variable is honoured; credentials always come from the AWS
 * default chain (IRSA, Pod Identity, environment, profile).
 */
@ConfigurationProperties("buildserver.aws")
public class AwsSettings {

  private String region;
  private URI endpoint;

  /** The configured region, else {@code AWS_REGION}/{@code AWS_DEFAULT_REGION}, else us-east-1. */
  public String getRegion() {
    if (region != null && !region.isBlank()) {
      return region;
    }
    return Optional.ofNullable(System.getenv("AWS_REGION"))
        .or(() -> Optional.ofNullable(System.getenv("AWS_DEFAULT_REGION")))
        .filter(r -> !r.isBlank())
        .orElse("us-east-1");
  }

  public void setRegion(String region) {
    this.region = region;
  }

  /** The endpoint override, if any: the configured one, else {@code AWS_ENDPOINT_URL}. */
  public Optional<URI> getEndpoint() {
    if (endpoint != null) {
      return Optional.of(endpoint);
    }
    return Optional.ofNullable(System.getenv("AWS_ENDPOINT_URL"))
        .filter(e -> !e.isBlank())
        .map(URI::create);
  }

  public void setEndpoint(URI endpoint) {
    this.endpoint = endpoint;
  }
}
