package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.ec2.InstanceLauncher;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.status.Pause;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.Ec2Faults;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.MotoServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pausing and resuming take effect within seconds on all three kinds, with the resync left at its
 * default of 10 minutes (so nothing but the annotation change itself can trigger the reconcile).
 */
class PauseE2ETest {

  private static final Duration SECONDS = Duration.ofSeconds(10);
  private static Cluster cluster;
  private static InProcessOperator operator;
  private static final Ec2Faults faults = new Ec2Faults();
  private static InstanceLauncher ec2;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("pause"));
    operator =
        InProcessOperator.start(
            List.of(faults),
            Map.of("buildserver.operator.resync-period", "10m"),
            cluster.namespace());
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(MotoServer.get().endpoint());
    settings.setRegion("us-east-1");
    ec2 = new InstanceLauncher(new AwsClients(settings));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void pausesAndResumesABuildAssetWithinSeconds() {
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: paused-asset}
            spec: {bucket: pause-assets, key: a.txt, createBucket: true, source: {inline: a}}
            """);
    cluster.awaitReady(asset, "Uploaded");
    cluster.annotate(asset, Pause.ANNOTATION, "true");
    cluster.awaitReason(asset, "Ready", "Paused", SECONDS);
    cluster.annotate(asset, Pause.ANNOTATION, null);
    cluster.awaitReason(asset, "Ready", "Uploaded", SECONDS);
  }

  @Test
  void pausesAndResumesABalanceReportWithinSeconds() {
    try (LedgerServer ledger =
        LedgerServer.start().publish(LedgerServer.transactions(20, 5), 10, true)) {
      BalanceReport report =
          cluster.create(
              BalanceReport.class,
              """
              metadata: {name: paused-report}
              spec: {ledger: {url: "%s"}}
              """
                  .formatted(ledger.urlTemplate()));
      cluster.awaitReady(report, "Synced");
      cluster.annotate(report, Pause.ANNOTATION, "true");
      cluster.awaitReason(report, "Ready", "Paused", SECONDS);
      cluster.annotate(report, Pause.ANNOTATION, null);
      cluster.awaitReason(report, "Ready", "Synced", SECONDS);
    }
  }

  @Test
  void pausesARunWithinSecondsButStillTerminatesItsInstanceAtTheTotalTimeout() {
    faults.holdPending(cluster.namespace() + "/paused-run");
    Ec2TestRun run =
        cluster.create(
            Ec2TestRun.class,
            """
            metadata: {name: paused-run}
            spec:
              region: us-east-1
              imageId: ami-12c6146b
              instanceType: t2.micro
              timeouts: {running: 10m, total: 30s}
            """);
    await()
        .atMost(KubeApi.WAIT)
        .until(
            () -> cluster.get(run).getStatus(),
            s -> s != null && s.getPhase() == Phase.WaitingForRunning);
    String instanceId = cluster.get(run).getStatus().getInstanceId();
    cluster.annotate(run, Pause.ANNOTATION, "true");
    cluster.awaitReason(run, "Complete", "Paused", SECONDS);
    assertThat(ec2.describe("us-east-1", instanceId).orElseThrow().state()).isEqualTo("running");

    // Still paused, but past timeouts.total: the instance does not keep costing money.
    await()
        .atMost(KubeApi.WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> ec2.describe("us-east-1", instanceId).orElseThrow().state(),
            "terminated"::equals);
    assertThat(cluster.get(run).getStatus().getPhase()).isEqualTo(Phase.Failed);
  }
}
