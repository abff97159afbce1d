package dev.buildserver.aws;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micronaut.context.BeanProvider;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleWithWebIdentityCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.utils.Lazy;

/**
 * Workload identity for resources, as IRSA does it for pods: a resource acts as the IAM role of a
 * ServiceAccount of its own namespace ({@value #ROLE_ANNOTATION}). The operator asks the API server
 * for a short-lived token of that ServiceAccount (TokenRequest, audience {@code sts.amazonaws.com})
 * and exchanges it through STS AssumeRoleWithWebIdentity. Credentials are cached per ServiceAccount
 * and role and refreshed before they expire by the AWS SDK's provider: one token and one STS call
 * per ServiceAccount an hour, never one per reconcile. Nothing here is ever logged or shown but the
 * role's ARN and the ServiceAccount's name.
 */
@Singleton
public class WorkloadIdentities implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WorkloadIdentities.class);

  /** The annotation that names a ServiceAccount's IAM role (the IRSA convention). */
  public static final String ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

  private final IdentitySettings settings;
  private final AwsSettings aws;
  private final BeanProvider<KubernetesClient> kubernetes;
  private final Lazy<StsClient> sts;
  private final ServiceAccountRoles roles;
  private final Map<AwsIdentity, StsAssumeRoleWithWebIdentityCredentialsProvider> providers =
      new ConcurrentHashMap<>();

  @Inject
  public WorkloadIdentities(
      IdentitySettings settings,
      AwsSettings aws,
      BeanProvider<KubernetesClient> kubernetes,
      Clock clock,
      List<ExecutionInterceptor> interceptors,
      List<MetricPublisher> publishers) {
    this.settings = settings;
    this.aws = aws;
    this.kubernetes = kubernetes;
    this.roles = new ServiceAccountRoles(this::client, clock, settings.getLookupCacheTime());
    this.sts =
        new Lazy<>(
            () -> {
              var builder =
                  StsClient.builder()
                      .region(Region.of(aws.getRegion()))
                      .httpClientBuilder(TrustedCertificates.httpClient(aws))
                      // AssumeRoleWithWebIdentity is not signed: the token is the proof.
                      .credentialsProvider(AnonymousCredentialsProvider.create())
                      .overrideConfiguration(
                          ClientOverrideConfiguration.builder()
                              .retryStrategy(RetryMode.STANDARD)
                              .executionInterceptors(List.copyOf(interceptors))
                              .metricPublishers(List.copyOf(publishers))
                              .build());
              aws.getEndpoint().ifPresent(builder::endpointOverride);
              return builder.build();
            });
  }

  /** Without a cluster: the operator's own identity only (the CLI, component tests). */
  public static WorkloadIdentities operatorOnly(AwsSettings aws) {
    return new WorkloadIdentities(
        new IdentitySettings(), aws, null, Clock.systemUTC(), List.of(), List.of());
  }

  /**
   * The identity a resource of {@code namespace} acts as: its {@code serviceAccountName}, else the
   * lockdown's default ServiceAccount, else the operator's own.
   *
   * @throws Problem IdentityNotFound when the ServiceAccount or its role annotation is missing: no
   *     AWS call may be made for the resource then
   */
  public AwsIdentity forResource(String namespace, String serviceAccountName) {
    Optional<String> named =
        Optional.ofNullable(serviceAccountName)
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .or(settings::getDefaultServiceAccount);
    if (named.isEmpty()) {
      return AwsIdentity.OPERATOR;
    }
    return forServiceAccount(namespace, named.get());
  }

  /**
   * The identity of a caller that is not a resource (the HTTP API): the ServiceAccount {@code
   * NAMESPACE/NAME} named by {@code setting}, else the operator's own identity, which the lockdown
   * forbids.
   */
  public AwsIdentity forCaller(Optional<String> serviceAccount, String setting) {
    if (serviceAccount.isPresent()) {
      String[] parts = serviceAccount.get().split("/", -1);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        throw new Problem(
            Reason.IdentityNotFound,
            setting + " must be NAMESPACE/NAME of a ServiceAccount, e.g. builds/api",
            false);
      }
      AwsIdentity identity = forServiceAccount(parts[0], parts[1]);
      verify(identity);
      return identity;
    }
    if (settings.isLockedDown()) {
      throw new Problem(
          Reason.IdentityNotFound,
          "the operator's own AWS identity is kept from every caller"
              + " (buildserver.identity.default-service-account is set): set "
              + setting
              + " to NAMESPACE/NAME of the ServiceAccount whose role this API acts as",
          false);
    }
    return AwsIdentity.OPERATOR;
  }

  /** The identity of one ServiceAccount, read from the API server (cached briefly). */
  public AwsIdentity forServiceAccount(String namespace, String name) {
    return roles.identity(namespace, name);
  }

  /**
   * The identity a resource acts as ({@link #forResource}), its credentials at hand: a refused
   * token or role shows here, as one condition, before any S3 or EC2 call.
   */
  public AwsIdentity actingAs(String namespace, String serviceAccountName) {
    AwsIdentity identity = forResource(namespace, serviceAccountName);
    verify(identity);
    return identity;
  }

  /** The credentials of an identity, fetched when first needed and refreshed before they expire. */
  public AwsCredentialsProvider credentials(AwsIdentity identity) {
    if (identity.isOperator()) {
      throw new IllegalArgumentException("the operator's own identity uses the default chain");
    }
    return providers.computeIfAbsent(identity, this::provider);
  }

  /**
   * Makes sure the identity's credentials can be had (the provider caches them), so that a refused
   * token or role shows as one clear condition before any S3 or EC2 call.
   */
  public void verify(AwsIdentity identity) {
    if (identity.isOperator()) {
      return;
    }
    try {
      credentials(identity).resolveCredentials();
    } catch (StsException e) {
      throw refused(identity, e);
    } catch (RuntimeException e) {
      Optional<Problem> problem = Problem.in(e);
      if (problem.isPresent()) {
        throw problem.get();
      }
      Throwable cause = e instanceof SdkClientException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof StsException sts) {
        throw refused(identity, sts);
      }
      throw new Problem(
          Reason.IdentityUnavailable,
          "cannot get credentials for "
              + identity.describe()
              + " ("
              + cause.getClass().getSimpleName()
              + "); retrying",
          true,
          e);
    }
  }

  private static Problem refused(AwsIdentity identity, StsException e) {
    String code =
        e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null
            ? "HTTP " + e.statusCode()
            : e.awsErrorDetails().errorCode();
    boolean transientFailure = e.statusCode() >= 500 || e.isThrottlingException();
    return new Problem(
        transientFailure ? Reason.IdentityUnavailable : Reason.AccessDenied,
        "STS refused AssumeRoleWithWebIdentity for "
            + identity.describe()
            + " ("
            + code
            + ")"
            + (transientFailure
                ? "; retrying"
                : ": let the role trust the cluster's OIDC provider for"
                    + " system:serviceaccount:"
                    + identity.namespace()
                    + ":"
                    + identity.serviceAccount()
                    + " with audience sts.amazonaws.com"),
        transientFailure,
        e);
  }

  private StsAssumeRoleWithWebIdentityCredentialsProvider provider(AwsIdentity identity) {
    LOG.info("Acting as {} for resources that name it", identity.describe());
    Supplier<AssumeRoleWithWebIdentityRequest> request =
        () ->
            AssumeRoleWithWebIdentityRequest.builder()
                .roleArn(identity.roleArn())
                .roleSessionName(sessionName(identity))
                .webIdentityToken(token(identity))
                .build();
    return StsAssumeRoleWithWebIdentityCredentialsProvider.builder()
        .stsClient(sts.getValue())
        .refreshRequest(request)
        .asyncCredentialUpdateEnabled(false)
        .build();
  }

  /** A short-lived token of the ServiceAccount, for STS only (its audience). */
  private String token(AwsIdentity identity) {
    TokenRequest request =
        new TokenRequestBuilder()
            .withNewSpec()
            .withAudiences(settings.getAudience())
            .withExpirationSeconds(Math.max(600, settings.getTokenExpiration().toSeconds()))
            .endSpec()
            .build();
    try {
      TokenRequest answered =
          client()
              .serviceAccounts()
              .inNamespace(identity.namespace())
              .withName(identity.serviceAccount())
              .tokenRequest(request);
      return answered.getStatus().getToken();
    } catch (KubernetesClientException e) {
      boolean forbidden = e.getCode() == 403;
      throw new Problem(
          forbidden ? Reason.AccessDenied : Reason.IdentityUnavailable,
          "cannot get a token for ServiceAccount "
              + identity.namespace()
              + "/"
              + identity.serviceAccount()
              + " (HTTP "
              + e.getCode()
              + ")"
              + (forbidden
                  ? ": the operator needs create on serviceaccounts/token (the chart grants it)"
                  : "; retrying"),
          !forbidden,
          e);
    }
  }

  /** The STS session name: the ServiceAccount, as CloudTrail shows who acted. */
  static String sessionName(AwsIdentity identity) {
    String name =
        ("buildserver-" + identity.namespace() + "-" + identity.serviceAccount())
            .replaceAll("[^A-Za-z0-9+=,.@_-]", "-");
    return name.length() <= 64 ? name : name.substring(0, 64);
  }

  private KubernetesClient client() {
    if (kubernetes == null) {
      throw new Problem(
          Reason.IdentityUnavailable,
          "ServiceAccount identities need a Kubernetes cluster; this command has none",
          false);
    }
    return kubernetes.get();
  }

  /** Whether the operator's own identity is kept from every resource and caller. */
  public boolean lockedDown() {
    return settings.isLockedDown();
  }

  @PreDestroy
  @Override
  public void close() {
    providers.values().forEach(StsAssumeRoleWithWebIdentityCredentialsProvider::close);
    if (sts.hasValue()) {
      sts.getValue().close();
    }
  }
}
