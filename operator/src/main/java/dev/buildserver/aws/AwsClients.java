package dev.buildserver.aws;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
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
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.Lazy;

/**
 * AWS clients for every feature, one per service and region, sharing one HTTP connection pool. With
 * an endpoint override (an emulator) S3 uses path-style addressing and checksums only where
 * required, which S3-compatible servers expect.
 */
@Singleton
public class AwsClients implements AutoCloseable {

  /** The SDK's region ids, compared as strings: Region.of caches every string it is given. */
  private static final Set<String> KNOWN_REGIONS =
      Region.regions().stream().map(Region::id).collect(Collectors.toUnmodifiableSet());

  private static final Pattern REGION_NAME = Pattern.compile("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$");

  private final AwsSettings settings;

  /** Built on first use: its TLS set-up (the trust store) need not delay a start. */
  private final Lazy<SdkHttpClient> http =
      new Lazy<>(() -> ApacheHttpClient.builder().maxConnections(64).build());

  private final Map<String, S3Client> s3 = new ConcurrentHashMap<>();
  private final Map<String, Ec2Client> ec2 = new ConcurrentHashMap<>();

  private final List<ExecutionInterceptor> interceptors;
  private final List<MetricPublisher> publishers;

  public AwsClients(AwsSettings settings) {
    this(settings, List.of(), List.of());
  }

  /**
   * With SDK interceptors (beans of that type: none in production; tests inject faults) and metric
   * publishers (AwsCallMetrics, which feeds /prometheus).
   */
  @Inject
  public AwsClients(
      AwsSettings settings,
      List<ExecutionInterceptor> interceptors,
      List<MetricPublisher> publishers) {
    this.settings = settings;
    this.interceptors = List.copyOf(interceptors);
    this.publishers = List.copyOf(publishers);
  }

  /** The region used when a resource names none. */
  public String defaultRegion() {
    return settings.getRegion();
  }

  public S3Client s3(String region) {
    return s3.computeIfAbsent(
        regionOrDefault(region),
        r -> {
          var builder = configure(S3Client.builder(), r);
          if (settings.getEndpoint().isPresent()) {
            builder
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
          }
          return builder.build();
        });
  }

  public Ec2Client ec2(String region) {
    return ec2.computeIfAbsent(
        regionOrDefault(region), r -> configure(Ec2Client.builder(), r).build());
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
      B configure(B builder, String region) {
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
