package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Finalizers;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.Ec2Faults;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No instance outlives its run when RunInstances succeeded but its id never reached status (the
 * operator died in between): the instance is found by its owner tag at the total timeout and on
 * deletion, where the lookup is retried while EC2 does not show the instance yet. Counted through
 * the EC2 API.
 */
class Ec2LeakE2ETest {

  private Cluster cluster;
  private InstanceLauncher ec2;
  private InProcessOperator operator;
  private final Ec2Faults faults = new Ec2Faults();

  @BeforeEach
  void prepare() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("leaks"));
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(MotoServer.get().endpoint());
    settings.setRegion("us-east-1");
    ec2 = new InstanceLauncher(new AwsClients(settings));
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void terminatesAnUnrecordedInstanceWhenTheTotalTimeoutPassedWhileTheOperatorWasDown() {
    Ec2TestRun run = launchedButUnrecorded("timed-out", ", timeouts: {running: 5s, total: 8s}");
    String instanceId = ownedInstance(run);
    Instant deadline =
        Instant.parse(run.getMetadata().getCreationTimestamp()).plus(Duration.ofSeconds(9));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Instant.now().isAfter(deadline)); // the operator stays down past the timeout

    operator = InProcessOperator.start(List.of(faults), Map.of(), cluster.namespace());
    await()
        .atMost(KubeApi.WAIT)
        .until(() -> cluster.get(run).getStatus().getPhase(), Phase.Failed::equals);
    assertThat(ec2.describe("us-east-1", instanceId).orElseThrow().state()).isEqualTo("terminated");
    assertThat(ec2.ownedInstances("us-east-1"))
        .filteredOn(i -> i.tags().get(LaunchSpec.OWNER_UID_TAG).equals(uid(run)))
        .hasSize(1);
  }

  @Test
  void retriesTheOwnerLookupBeforeReleasingARunDeletedMidLaunch() {
    Ec2TestRun run = launchedButUnrecorded("deleted", "");
    String instanceId = ownedInstance(run);
    faults.hideOwnerLookups(uid(run), 3); // EC2 does not list the new instance yet
    cluster.client().resource(run).delete(); // held by the finalizer until the operator cleans up

    operator = InProcessOperator.start(List.of(faults), Map.of(), cluster.namespace());
    await().atMost(KubeApi.WAIT).until(() -> cluster.get(run) == null);
    assertThat(faults.ownerLookupsExhausted(uid(run))).isTrue();
    assertThat(ec2.describe("us-east-1", instanceId).orElseThrow().state()).isEqualTo("terminated");
  }

  /**
   * A run in phase Launching whose RunInstances went through but whose status never recorded the
   * instance: what an operator killed right after RunInstances leaves behind.
   */
  private Ec2TestRun launchedButUnrecorded(String name, String extra) {
    Ec2TestRun run =
        cluster.create(
            Ec2TestRun.class,
            """
            metadata: {name: %s, finalizers: [%s]}
            spec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro%s}
            """
                .formatted(name, Finalizers.NAME, extra));
    Ec2TestRunStatus status = new Ec2TestRunStatus();
    status.setPhase(Phase.Launching);
    status.setMessage("Launching an instance in us-east-1");
    run.setStatus(status);
    run = cluster.client().resource(run).updateStatus();
    var identity = new LaunchSpec.RunIdentity(uid(run), cluster.namespace(), name);
    ec2.launch(LaunchSpec.of(run.getSpec(), identity), null, uid(run));
    return run;
  }

  private String ownedInstance(Ec2TestRun run) {
    return ec2.findByOwner("us-east-1", uid(run)).orElseThrow().instanceId();
  }

  private static String uid(Ec2TestRun run) {
    return run.getMetadata().getUid();
  }
}
