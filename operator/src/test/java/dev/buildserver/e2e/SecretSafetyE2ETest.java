package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.LogCapture;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * No Secret value, and no digest of Secret content, reaches a status, an Event or a log line: not
 * through a token the HTTP client rejects, not through a token sent over plain http, not through a
 * Secret-sourced BuildAsset's ETag, sha256 or checksum message.
 */
class SecretSafetyE2ETest {

  private static Cluster cluster;
  private static InProcessOperator operator;
  private static LogCapture log;
  private static LedgerServer ledger;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("secrets"));
    log = LogCapture.attach();
    // No allow-list: a token may go to https hosts only.
    operator =
        InProcessOperator.start(
            List.of(), Map.of("buildserver.outbound.allow-loopback", true), cluster.namespace());
    ledger = LedgerServer.start().publish(LedgerServer.transactions(12, 3), 5, true);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (ledger != null) {
      ledger.close();
    }
    if (log != null) {
      log.close();
    }
  }

  @Test
  void refusesATokenWithALineBreakWithoutEchoingIt() {
    String token = "first-line-Zq81\nsecond-line-Zq82";
    BalanceReport report = reportWithToken("newline", token);
    var condition = cluster.awaitReady(report, "InvalidToken");
    assertThat(message(condition))
        .contains("Secret newline-token")
        .contains("key token")
        .doesNotContain("Zq8");
    assertNowhere("first-line-Zq81", "second-line-Zq82");
  }

  @Test
  void refusesATokenWithACharacterAboveLatin1WithoutEchoingIt() {
    String token = "euro-\u20ac-Wk33";
    BalanceReport report = reportWithToken("euro", token);
    assertThat(message(cluster.awaitReady(report, "InvalidToken"))).doesNotContain("Wk33");
    assertNowhere("Wk33");
  }

  @Test
  void neverSendsATokenOverPlainHttpToAHostOffTheAllowList() {
    BalanceReport report = reportWithToken("plain", "valid-token-Jh55");
    var condition = cluster.awaitReady(report, "InsecureToken");
    assertThat(message(condition)).contains("https").contains("allow-hosts");
    assertThat(ledger.requests()).isZero();
    assertNowhere("valid-token-Jh55");
  }

  @Test
  void keepsEveryDigestOfSecretContentOutOfStatusEventsAndLogs() throws Exception {
    byte[] content = "database-password-Pq77".getBytes(StandardCharsets.UTF_8);
    cluster.secret("asset-secret", "blob", content);
    String bucket = "secret-assets";
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: from-secret}
            spec:
              bucket: %s
              key: secret.bin
              createBucket: true
              source: {secretKeyRef: {name: asset-secret, key: blob}}
            """
                .formatted(bucket));
    BuildAsset ready = cluster.awaitReady(asset, "Uploaded");
    assertThat(ready.getStatus().getSize()).isEqualTo(content.length);
    String etag =
        operator.s3().headObject(b -> b.bucket(bucket).key("secret.bin")).eTag().replace("\"", "");
    assertThat(etag).isEqualTo(hex("MD5", content));

    assertNowhere("database-password-Pq77", hex("SHA-256", content), etag);
  }

  @Test
  void reportsAChecksumMismatchOfSecretContentWithoutTheActualDigest() throws Exception {
    byte[] content = "api-key-Vb90".getBytes(StandardCharsets.UTF_8);
    cluster.secret("checked-secret", "blob", content);
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: wrong-digest}
            spec:
              bucket: secret-assets
              key: checked.bin
              createBucket: true
              sha256: "%s"
              source: {secretKeyRef: {name: checked-secret, key: blob}}
            """
                .formatted("0".repeat(64)));
    var condition = cluster.awaitReady(asset, "ChecksumMismatch");
    assertThat(message(condition)).contains("does not match").contains("nothing was uploaded");
    assertThat(
            org.junit.jupiter.api.Assertions.assertThrows(
                NoSuchKeyException.class,
                () -> operator.s3().headObject(b -> b.bucket("secret-assets").key("checked.bin"))))
        .isNotNull();

    assertNowhere("api-key-Vb90", hex("SHA-256", content), hex("MD5", content));
  }

  private BalanceReport reportWithToken(String name, String token) {
    cluster.secret(name + "-token", "token", token.getBytes(StandardCharsets.UTF_8));
    return cluster.create(
        BalanceReport.class,
        """
        metadata: {name: %s}
        spec: {ledger: {url: "%s", authSecretRef: {name: %s-token, key: token}}}
        """
            .formatted(name, ledger.urlTemplate(), name));
  }

  private static String message(Object resource) {
    var condition =
        dev.buildserver.testing.Resources.condition(
                (io.fabric8.kubernetes.client.CustomResource<?, ?>) resource, "Ready")
            .orElseThrow();
    return condition.getReason() + ": " + condition.getMessage();
  }

  /** None of the needles is in any status, Event or log line of the run. */
  private static void assertNowhere(String... needles) {
    String statuses =
        Serialization.asJson(
                cluster
                    .client()
                    .resources(BalanceReport.class)
                    .inNamespace(cluster.namespace())
                    .list())
            + Serialization.asJson(
                cluster
                    .client()
                    .resources(BuildAsset.class)
                    .inNamespace(cluster.namespace())
                    .list());
    String events = cluster.events();
    String logs = log.text();
    for (String needle : needles) {
      assertThat(statuses).as("status").doesNotContainIgnoringCase(needle);
      assertThat(events).as("events").doesNotContainIgnoringCase(needle);
      assertThat(logs).as("operator log").doesNotContainIgnoringCase(needle);
    }
  }

  private static String hex(String algorithm, byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
  }
}
