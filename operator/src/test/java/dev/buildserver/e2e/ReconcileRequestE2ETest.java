package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.ledger.Transaction;
import dev.buildserver.status.ReconcileRequest;
import dev.buildserver.status.ResourceStatus;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Cents;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code buildserver.dev/requested-at} on the real API server, with the resync at its default (10
 * minutes): setting the annotation makes each kind act at once and echo the value in {@code
 * status.lastHandledRequestedAt}; a paused resource does not; {@code builder reconcile --wait} sets
 * it and reports the resulting condition.
 */
class ReconcileRequestE2ETest {

  /** Far shorter than the default resync: whatever happens here, the annotation made happen. */
  private static final Duration PROMPTLY = Duration.ofSeconds(20);

  private static KubernetesClient k8s;
  private static Cluster cluster;
  private static InProcessOperator operator;
  private static S3Client s3;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    k8s = api.client();
    String namespace = api.newNamespace("reconcile");
    cluster = new Cluster(k8s, namespace);
    operator =
        InProcessOperator.start(
            List.of(), Map.of("buildserver.operator.resync-period", "10m"), namespace);
    s3 = operator.s3();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void aBuildAssetChecksForDriftAtOnceAndEchoesTheRequest() {
    String bucket = "reconcile-now-" + System.nanoTime() % 100000;
    BuildAsset asset = uploaded("drifted", bucket, "a.txt");
    s3.deleteObject(b -> b.bucket(bucket).key("a.txt")); // changed outside

    request(asset, "2026-12-04T10:00:00Z");

    await().atMost(PROMPTLY).until(() -> handled(asset), "2026-12-04T10:00:00Z"::equals);
    await().atMost(PROMPTLY).until(() -> exists(bucket, "a.txt"));
    assertThat(cluster.events("drifted")).contains("DriftCorrected");
  }

  @Test
  void aBalanceReportReadsTheLedgerAgainAtOnce() {
    List<Transaction> transactions = new ArrayList<>(LedgerServer.transactions(20, 31));
    try (LedgerServer ledger = LedgerServer.start().publish(transactions, 10, true)) {
      BalanceReport report =
          cluster.create(
              BalanceReport.class,
              "metadata: {name: once}\nspec: {ledger: {url: \"%s\"}}"
                  .formatted(ledger.urlTemplate()));
      cluster.awaitReady(report, "Synced");
      transactions.addAll(LedgerServer.transactions(7, 32));
      ledger.publish(transactions, 10, true);

      request(report, "first");

      await().atMost(PROMPTLY).until(() -> handled(report), "first"::equals);
      BalanceReport reread = k8s.resource(report).get();
      assertThat(reread.getStatus().getTransactionCount()).isEqualTo(27);
      assertThat(Cents.equal(reread.getStatus().getTotalBalance(), Cents.total(transactions)))
          .isTrue();
    }
  }

  @Test
  void anEc2TestRunTakesAStepAndEchoesTheRequest() {
    Ec2Examples.createLaunchTemplate(operator.bean(dev.buildserver.aws.AwsClients.class));
    Ec2TestRun run =
        Resources.load(RepoFiles.examples().resolve("ec2-test-run.yaml"), Ec2TestRun.class);
    run.getMetadata().setName("reconciled-run");
    run.getMetadata().setNamespace(cluster.namespace());
    k8s.resource(run).create();
    await()
        .atMost(KubeApi.WAIT)
        .until(() -> Cluster.reason(k8s.resource(run).get(), "Succeeded"), "ChecksPassed"::equals);

    request(run, "after-the-run");

    await().atMost(PROMPTLY).until(() -> handled(run), "after-the-run"::equals);
    assertThat(Cluster.reason(k8s.resource(run).get(), "Succeeded")).isEqualTo("ChecksPassed");
  }

  @Test
  void aPausedResourceDoesNotActAndTheCliSaysSo() {
    String bucket = "reconcile-paused-" + System.nanoTime() % 100000;
    BuildAsset asset = uploaded("resting", bucket, "p.txt");
    cluster.annotate(asset, "buildserver.dev/paused", "true");
    cluster.awaitReady(asset, "Paused");
    s3.deleteObject(b -> b.bucket(bucket).key("p.txt"));

    BuildAsset awake = uploaded("awake", bucket, "q.txt");

    request(asset, "while-paused");
    request(awake, "after-the-paused-one");
    // A barrier: the request made after the paused one has been acted on, so the paused one's
    // reconcile (requested first, same process) has run too.
    await().atMost(PROMPTLY).until(() -> handled(awake), "after-the-paused-one"::equals);

    assertThat(handled(asset)).isNotEqualTo("while-paused");
    assertThat(exists(bucket, "p.txt")).isFalse();
    var cli = cli("reconcile", "buildasset/resting", "--wait");
    assertThat(cli.exitCode()).isEqualTo(1);
    assertThat(cli.stderr()).contains("buildasset/resting is paused");
  }

  @Test
  void builderReconcileWaitsForTheEchoAndPrintsTheCondition() {
    String bucket = "reconcile-cli-" + System.nanoTime() % 100000;
    BuildAsset asset = uploaded("by-cli", bucket, "c.txt");
    s3.deleteObject(b -> b.bucket(bucket).key("c.txt"));

    var done = cli("reconcile", "buildassets/by-cli", "--wait", "--timeout", "60s");

    assertThat(done.exitCode()).as(done.stderr()).isZero();
    assertThat(done.stdout()).startsWith("buildasset/by-cli: Ready=True Uploaded: ");
    assertThat(exists(bucket, "c.txt")).isTrue();
    assertThat(handled(asset))
        .isEqualTo(
            k8s.resource(asset)
                .get()
                .getMetadata()
                .getAnnotations()
                .get(ReconcileRequest.ANNOTATION));

    var missing = cli("reconcile", "buildasset/nothing-here");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.stderr()).contains("buildasset/nothing-here not found in namespace");
    var badKind = cli("reconcile", "pods/x");
    assertThat(badKind.exitCode()).isEqualTo(2);
    assertThat(badKind.stderr()).contains("'pods' is not a kind here");
  }

  /** A BuildAsset of inline content, Ready. */
  private static BuildAsset uploaded(String name, String bucket, String key) {
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            "metadata: {name: %s}\nspec: {bucket: %s, key: %s, createBucket: true, source: {inline: x}}"
                .formatted(name, bucket, key));
    return cluster.awaitReady(asset, "Uploaded");
  }

  private static void request(CustomResource<?, ?> resource, String value) {
    cluster.annotate(resource, ReconcileRequest.ANNOTATION, value);
  }

  private static String handled(CustomResource<?, ?> resource) {
    var current = k8s.resource(resource).get();
    return current != null && current.getStatus() instanceof ResourceStatus s
        ? s.getLastHandledRequestedAt()
        : null;
  }

  private static boolean exists(String bucket, String key) {
    try {
      s3.headObject(b -> b.bucket(bucket).key(key));
      return true;
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      return false;
    }
  }

  private static BuilderProcess.Result cli(String... args) {
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", KubeApi.get().kubeconfig().toString());
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-n", cluster.namespace()));
    return BuilderProcess.run(env, new byte[0], all.toArray(String[]::new));
  }
}
