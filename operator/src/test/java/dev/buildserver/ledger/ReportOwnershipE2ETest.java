package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** A BalanceReport's output.s3 follows the BuildAsset ownership rules, counted through S3. */
class ReportOwnershipE2ETest {

  private static final String BUCKET = "owned-reports";
  private static Cluster cluster;
  private static InProcessOperator operator;
  private static LedgerServer ledger;
  private static S3Client s3;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("report-owner"));
    operator = InProcessOperator.start(cluster.namespace());
    ledger = LedgerServer.start().publish(LedgerServer.transactions(30, 21), 10, true);
    s3 = operator.s3();
    s3.createBucket(b -> b.bucket(BUCKET));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (ledger != null) {
      ledger.close();
    }
  }

  @Test
  void neverOverwritesTheObjectOfABuildAsset() {
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: owner}
            spec: {bucket: %s, key: shared.json, source: {inline: "asset content"}}
            """
                .formatted(BUCKET));
    cluster.awaitReady(asset, "Uploaded");

    BalanceReport report = report("intruder", "shared.json", false);
    BalanceReport refused = cluster.awaitReady(report, "Conflict");
    assertThat(refused.getStatus().getConditions().get(0).getMessage())
        .contains("BuildAsset " + cluster.namespace() + "/owner");
    assertThat(content("shared.json")).isEqualTo("asset content");

    // Deleting the refused report leaves the asset's object alone.
    cluster.client().resource(report).delete();
    await().atMost(KubeApi.WAIT).until(() -> cluster.get(report) == null);
    assertThat(content("shared.json")).isEqualTo("asset content");
  }

  @Test
  void takesAForeignObjectOnlyWithOverwriteAndDeletesOnlyWhatItWrote() {
    s3.putObject(b -> b.bucket(BUCKET).key("foreign.json"), RequestBody.fromString("foreign"));
    BalanceReport report = report("careful", "foreign.json", false);
    BalanceReport refused = cluster.awaitReady(report, "Conflict");
    assertThat(refused.getStatus().getConditions().get(0).getMessage())
        .contains("output.s3.overwrite: true");
    assertThat(content("foreign.json")).isEqualTo("foreign");

    cluster.client().resource(report).delete();
    await().atMost(KubeApi.WAIT).until(() -> cluster.get(report) == null);
    BalanceReport taking = report("taking", "foreign.json", true);
    cluster.awaitReady(taking, "Synced");
    var head = s3.headObject(b -> b.bucket(BUCKET).key("foreign.json"));
    assertThat(head.metadata())
        .containsEntry("buildserver-uid", cluster.get(taking).getMetadata().getUid())
        .containsEntry("buildserver-owner", cluster.namespace() + "/taking")
        .containsEntry("buildserver-kind", "BalanceReport");
    assertThat(content("foreign.json")).contains("totalBalance");

    cluster.client().resource(taking).delete();
    await().atMost(KubeApi.WAIT).until(() -> cluster.get(taking) == null);
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("foreign.json")))
        .isInstanceOf(NoSuchKeyException.class);
  }

  private static BalanceReport report(String name, String key, boolean overwrite) {
    return cluster.create(
        BalanceReport.class,
        """
        metadata: {name: %s}
        spec:
          ledger: {url: "%s"}
          output: {s3: {bucket: %s, key: %s, overwrite: %s}}
        """
            .formatted(name, ledger.urlTemplate(), BUCKET, key, overwrite));
  }

  private static String content(String key) {
    return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String();
  }
}
