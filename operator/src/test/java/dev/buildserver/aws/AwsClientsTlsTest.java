package dev.buildserver.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.s3.ObjectContent;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.MotoExtension;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.S3Front;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * An S3-compatible store that serves TLS with a certificate of its own (moto behind {@link
 * S3Front}, whose CA no one trusts): refused without {@code buildserver.aws.ca-bundle}, reached
 * with it by S3 and by STS, and a bundle that is not there named in one clear line.
 */
@Tag("component") // needs moto, the mock API server or child JVMs: not in make test-unit
@ExtendWith(MotoExtension.class)
@EnableKubernetesMockClient
class AwsClientsTlsTest {

  @TempDir static Path certificates;
  private static S3Front front;

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path dir;

  @BeforeAll
  static void startFront() {
    front = S3Front.tls(MotoServer.get().endpoint(), certificates);
  }

  @AfterAll
  static void stopFront() {
    front.close();
  }

  private static AwsSettings settings(Path caBundle) {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(front.endpoint());
    settings.setRegion("us-east-1");
    if (caBundle != null) {
      settings.setCaBundle(caBundle.toString());
    }
    return settings;
  }

  private static ObjectWrite write(String key) {
    return new ObjectWrite("tls", key, null, null, Map.of(), Map.of(), null, false);
  }

  @Test
  void refusesAStoreWhoseCertificateNoTrustedAuthoritySigned() {
    // No setting: an AWS_CA_BUNDLE of the environment is honoured, but cannot hold the throwaway
    // CA.
    int forwarded = front.forwarded();
    try (AwsClients aws = new AwsClients(settings(null))) {
      assertThatThrownBy(() -> aws.s3("us-east-1").listBuckets())
          .isInstanceOf(SdkClientException.class)
          .hasMessageContaining("PKIX path building failed")
          .hasRootCauseInstanceOf(CertPathBuilderException.class)
          .satisfies(
              e -> assertThat(causes(e)).hasAtLeastOneElementOfType(SSLHandshakeException.class));

      ObjectStore store = new ObjectStore(aws);
      assertThatThrownBy(() -> store.get(AwsIdentity.OPERATOR, null, "tls", "a.txt", sink()))
          .isInstanceOfSatisfying(
              Problem.class,
              p -> {
                // Not retried as an outage: nothing changes until the CA is configured.
                assertThat(p.kind()).isEqualTo(Reason.UntrustedCertificate);
                assertThat(p.retryable()).isFalse();
              })
          .hasMessageContaining("PKIX path building failed")
          .hasMessageContaining("buildserver.aws.ca-bundle");
    }
    assertThat(front.forwarded()).as("requests past the handshake").isEqualTo(forwarded);
  }

  @Test
  void writesAndReadsThroughAStoreSignedByTheBundlesAuthority() {
    int forwarded = front.forwarded();
    try (AwsClients aws = new AwsClients(settings(front.caBundle()))) {
      aws.s3("us-east-1").createBucket(b -> b.bucket("tls"));
      ObjectStore store = new ObjectStore(aws);

      store.put(
          write("a.txt"), new ObjectContent.Bytes("over TLS".getBytes(StandardCharsets.UTF_8)));

      ByteArrayOutputStream read = sink();
      store.get(AwsIdentity.OPERATOR, null, "tls", "a.txt", read);
      assertThat(read.toString(StandardCharsets.UTF_8)).isEqualTo("over TLS");
      assertThat(store.head(AwsIdentity.OPERATOR, null, "tls", "a.txt", null))
          .hasValueSatisfying(info -> assertThat(info.size()).isEqualTo(8));
    }
    assertThat(front.forwarded() - forwarded).isGreaterThanOrEqualTo(4);
  }

  @Test
  void namesTheSettingAndThePathOfAMissingBundleAtTheFirstCall() {
    Path missing = dir.resolve("missing.pem");
    try (AwsClients aws = new AwsClients(settings(missing))) {
      ObjectStore store = new ObjectStore(aws);

      assertThatThrownBy(() -> store.get(AwsIdentity.OPERATOR, null, "tls", "a.txt", sink()))
          .isInstanceOfSatisfying(
              Problem.class, p -> assertThat(p.kind()).isEqualTo(Reason.InvalidCaBundle))
          .hasMessage(
              "buildserver.aws.ca-bundle "
                  + missing
                  + ": no such file; point it at a PEM file of CA certificates");
    }
  }

  @Test
  void theCliHonoursAwsCaBundleAndTheSettingWinsOverIt() {
    try (AwsClients aws = new AwsClients(settings(front.caBundle()))) {
      aws.s3("us-east-1").createBucket(b -> b.bucket("tls"));
    }
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("AWS_ENDPOINT_URL", front.endpoint().toString());
    env.put("AWS_CA_BUNDLE", front.caBundle().toString());
    env.put("BUILDSERVER_AWS_CA_BUNDLE", ""); // not set: the environment's variable is used

    var listed = BuilderProcess.run(env, new byte[0], "list-assets", "--bucket", "tls");
    assertThat(listed.exitCode()).as(listed.stderr()).isZero();

    Path missing = dir.resolve("missing.pem");
    env.put("BUILDSERVER_AWS_CA_BUNDLE", missing.toString());
    var refused = BuilderProcess.run(env, new byte[0], "list-assets", "--bucket", "tls");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.stderr())
        .isEqualTo(
            "builder: buildserver.aws.ca-bundle "
                + missing
                + ": no such file; point it at a PEM file of CA certificates"
                + System.lineSeparator());

    env.put("BUILDSERVER_AWS_CA_BUNDLE", "");
    env.put("AWS_CA_BUNDLE", missing.toString());
    var named = BuilderProcess.run(env, new byte[0], "list-assets", "--bucket", "tls");
    assertThat(named.stderr())
        .isEqualTo(
            "builder: AWS_CA_BUNDLE "
                + missing
                + ": no such file; point it at a PEM file of CA certificates"
                + System.lineSeparator());
  }

  @Test
  void exchangesServiceAccountTokensWithStsOverTheBundlesTls() {
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/builds/serviceaccounts/uploader/token")
        .andReturn(
            201,
            new TokenRequestBuilder()
                .withNewStatus()
                .withToken("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
                .endStatus()
                .build())
        .always();
    AwsIdentity uploader =
        new AwsIdentity("builds", "uploader", "arn:aws:iam::123456789012:role/uploader");

    int forwarded = front.forwarded();
    try (WorkloadIdentities trusting = identities(settings(front.caBundle()))) {
      assertThat(trusting.credentials(uploader).resolveCredentials().accessKeyId()).isNotBlank();
    }
    assertThat(front.forwarded() - forwarded).as("STS calls through the front").isEqualTo(1);
    try (WorkloadIdentities missing = identities(settings(dir.resolve("missing.pem")))) {
      assertThatThrownBy(() -> missing.verify(uploader))
          .isInstanceOfSatisfying(
              Problem.class, p -> assertThat(p.kind()).isEqualTo(Reason.InvalidCaBundle))
          .hasMessageStartingWith("buildserver.aws.ca-bundle " + dir.resolve("missing.pem"));
    }
  }

  private static WorkloadIdentities identities(AwsSettings settings) {
    return new WorkloadIdentities(
        new IdentitySettings(), settings, () -> client, Clock.systemUTC(), List.of(), List.of());
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null && chain.size() < 20; t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  private static ByteArrayOutputStream sink() {
    return new ByteArrayOutputStream();
  }
}
