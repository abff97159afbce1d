package dev.buildserver.aws;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.Lazy;

/**
 * AWS clients for every feature, one per service, region and identity (the operator's own, or a
 * ServiceAccount's role from {@link WorkloadIdentities}), sharing one HTTP connection pool: the one
 * seam where an identity becomes credentials. With an endpoint override (an emulator, or an
 * S3-compatible store named by {@code buildserver.aws.s3-endpoint}) S3 uses path-style addressing
 * and checksums only where required, which S3-compatible servers expect.
 */
@Singleton
public class AwsClients implements AutoCloseable {

  /** The SDK's region ids, compared as strings: Region.of caches every string it is given. */
  private static final Set<String> KNOWN_REGIONS =
      Region.regions().stream().map(Region::id).collect(Collectors.toUnmodifiableSet());

  private static final Pattern REGION_NAME = Pattern.compile("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$");

  private final AwsSettings settings;

  /**
   * Built on first use: its TLS set-up (the trust store, with the CA bundle if one is set) need not
   * delay a start. A bad CA bundle fails the first call with its Problem, and every call after it
   * until it is fixed.
   */
  private final Lazy<SdkHttpClient> http;

  /** Clients by identity and region. */
  private final Map<String, S3Client> s3 = new ConcurrentHashMap<>();

  private final Map<String, Ec2Client> ec2 = new ConcurrentHashMap<>();

  private final List<ExecutionInterceptor> interceptors;
  private final List<MetricPublisher> publishers;
  private final WorkloadIdentities identities;

  public AwsClients(AwsSettings settings) {
    this(settings, List.of(), List.of(), WorkloadIdentities.operatorOnly(settings));
  }

  /** With SDK interceptors and metric publishers, for the operator's own identity only. */
  public AwsClients(
      AwsSettings settings,
      List<ExecutionInterceptor> interceptors,
      List<MetricPublisher> publishers) {
    this(settings, interceptors, publishers, WorkloadIdentities.operatorOnly(settings));
  }

  /**
   * With SDK interceptors (beans of that type: none in production; tests inject faults), metric
   * publishers (AwsCallMetrics, which feeds /prometheus) and the ServiceAccount identities.
   */
  @Inject
  public AwsClients(
      AwsSettings settings,
      List<ExecutionInterceptor> interceptors,
      List<MetricPublisher> publishers,
      WorkloadIdentities identities) {
    this.settings = settings;
    this.http =
        new Lazy<>(() -> TrustedCertificates.httpClient(settings).maxConnections(64).build());
    this.interceptors = List.copyOf(interceptors);
    this.publishers = List.copyOf(publishers);
    this.identities = identities;
  }

  /** The region used when a resource names none. */
  public String defaultRegion() {
    return settings.getRegion();
  }

  /** The S3 endpoint a region's clients talk to: the override, else AWS's regional one. */
  public String s3Endpoint(String region) {
    return settings
        .getS3Endpoint()
        .map(URI::toString)
        .orElseGet(() -> "https://s3." + regionOrDefault(region) + ".amazonaws.com");
  }

  /** The operator's own S3 client for a region (the CLI, and resources without an identity). */
  public S3Client s3(String region) {
    return s3(AwsIdentity.OPERATOR, region);
  }

  /** The S3 client that acts as {@code identity} in a region. */
  public S3Client s3(AwsIdentity identity, String region) {
    String name = regionOrDefault(region);
    return s3.computeIfAbsent(
        key(identity, name),
        k -> {
          var builder = configure(S3Client.builder(), name, identity);
          if (settings.getS3Endpoint().isPresent()) {
            builder
                .endpointOverride(settings.getS3Endpoint().get())
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
          }
          return builder.build();
        });
  }

  /** The operator's own EC2 client for a region. */
  public Ec2Client ec2(String region) {
    return ec2(AwsIdentity.OPERATOR, region);
  }

  /** The EC2 client that acts as {@code identity} in a region. */
  public Ec2Client ec2(AwsIdentity identity, String region) {
    String name = regionOrDefault(region);
    return ec2.computeIfAbsent(
        key(identity, name), k -> configure(Ec2Client.builder(), name, identity).build());
  }

  private static String key(AwsIdentity identity, String region) {
    return identity.isOperator()
        ? region
        : region
            + "|"
            + identity.roleArn()
            + "|"
            + identity.namespace()
            + "/"
            + identity.serviceAccount();
  }

  /**
   * The region to use; an unknown name is refused rather than cached as a client. The name is
   * checked against the shape of region names first: {@code Region.of} keeps every string it is
   * given, forever.
   */
  private String regionOrDefault(String region) {
    String name = region == null || region.isBlank() ? settings.getRegion() : region.trim();
    if (!REGION_NAME.matcher(name).matches() || !KNOWN_REGIONS.contains(name)) {
      throw new Problem(
          Reason.InvalidRegion,
          "'" + name + "' is not an AWS region this operator knows (e.g. eu-west-1)",
          false);
    }
    return name;
  }

  private <
          B extends
              AwsClientBuilder<B, ?>
                  & software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<B, ?>>
      B configure(B builder, String region, AwsIdentity identity) {
    if (!identity.isOperator()) {
      builder.credentialsProvider(identities.credentials(identity));
    } else if (identities.lockedDown()) {
      // A last guard: with the lockdown on, no code path may reach AWS as the operator itself.
      throw new Problem(
          Reason.IdentityNotFound,
          "the operator's own AWS identity is not used while"
              + " buildserver.identity.default-service-account is set",
          false);
    }
    builder
        .region(Region.of(region))
        .httpClient(http.getValue())
        .overrideConfiguration(
            ClientOverrideConfiguration.builder()
                .retryStrategy(RetryMode.STANDARD)
                .executionInterceptors(interceptors)
                .metricPublishers(publishers)
                .build());
    settings.getEndpoint().ifPresent(builder::endpointOverride);
    return builder;
  }

  @PreDestroy
  @Override
  public void close() {
    s3.values().forEach(S3Client::close);
    ec2.values().forEach(Ec2Client::close);
    if (http.hasValue()) { // Lazy.close() would build the client only to close it
      http.getValue().close();
    }
  }
}
