package dev.buildserver.aws;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * AWS settings of the operator and the CLI: {@code buildserver.aws.region} and {@code
 * buildserver.aws.endpoint} (for emulators such as moto or LocalStack), {@code
 * buildserver.aws.s3-endpoint} for S3 alone. Without them the standard {@code AWS_ENDPOINT_URL} and
 * {@code AWS_ENDPOINT_URL_S3} variables are honoured; credentials always come from the AWS default
 * chain (IRSA, Pod Identity, environment, profile). {@code buildserver.aws.ca-bundle} (else {@code
 * AWS_CA_BUNDLE}) adds CA certificates to the ones AWS clients trust ({@link TrustedCertificates}),
 * for S3-compatible stores whose certificate no public CA signed.
 */
@ConfigurationProperties("buildserver.aws")
public class AwsSettings {

  /** The setting that names a CA bundle. */
  public static final String CA_BUNDLE = "buildserver.aws.ca-bundle";

  private static final String CA_BUNDLE_ENV = "AWS_CA_BUNDLE";

  private String region;
  private URI endpoint;
  private URI s3Endpoint;
  private String caBundle;

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

  /**
   * Where S3 calls go, if not to AWS: {@code buildserver.aws.s3-endpoint}, else the standard {@code
   * AWS_ENDPOINT_URL_S3}, else the endpoint of every service. It lets S3 live in a store of its own
   * (SeaweedFS, MinIO, Ceph) while EC2 and STS go elsewhere.
   */
  public Optional<URI> getS3Endpoint() {
    if (s3Endpoint != null) {
      return Optional.of(s3Endpoint);
    }
    return Optional.ofNullable(System.getenv("AWS_ENDPOINT_URL_S3"))
        .filter(e -> !e.isBlank())
        .map(URI::create)
        .or(this::getEndpoint);
  }

  public void setS3Endpoint(URI s3Endpoint) {
    this.s3Endpoint = s3Endpoint;
  }

  /** A PEM file of CA certificates, and the setting that named it (for messages). */
  public record CaBundle(String setting, Path path) {}

  /**
   * The CA certificates trusted on top of the JDK's: {@value #CA_BUNDLE}, else {@code
   * AWS_CA_BUNDLE} (which the AWS CLI and the other AWS SDKs honour; the Java SDK does not).
   */
  public Optional<CaBundle> caBundle() {
    if (caBundle != null && !caBundle.isBlank()) {
      return Optional.of(new CaBundle(CA_BUNDLE, Path.of(caBundle.trim())));
    }
    return Optional.ofNullable(System.getenv(CA_BUNDLE_ENV))
        .filter(b -> !b.isBlank())
        .map(b -> new CaBundle(CA_BUNDLE_ENV, Path.of(b.trim())));
  }

  public void setCaBundle(String caBundle) {
    this.caBundle = caBundle;
  }
}
