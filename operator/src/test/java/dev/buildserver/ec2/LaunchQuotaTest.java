package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.runtime.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The launch caps, counted from what EC2 holds (in memory here) and from the slots granted in a
 * Lease (the fabric8 mock server), so that they hold across processes.
 */
@Tag("component")
@EnableKubernetesMockClient(crud = true)
class LaunchQuotaTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant UNTIL = NOW.plus(Duration.ofMinutes(16));

  KubernetesClient client;
  private final FakeInstances ec2 = new FakeInstances();

  private LaunchQuota quota(int perRegion, int perNamespace) {
    Ec2Settings settings = new Ec2Settings();
    settings.setMaxActiveRunsPerRegion(perRegion);
    settings.setMaxActiveRunsPerNamespace(perNamespace);
    OperatorSettings operator = new OperatorSettings();
    operator.getLeaderElection().setLeaseNamespace("buildserver-system");
    return new LaunchQuota(client, settings, operator);
  }

  @Test
  void countsEveryRunHoldingASlotOrAnInstanceOnceAcrossProcesses() {
    LaunchQuota first = quota(2, 0);
    LaunchQuota second = quota(2, 0); // another shard, sharing only the Lease and EC2
    assertThat(first.tryAcquire(ec2, "us-east-1", "a", "run-1", NOW, UNTIL)).isTrue();
    assertThat(first.tryAcquire(ec2, "us-east-1", "a", "run-1", NOW, UNTIL)).as("held").isTrue();
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-2", NOW, UNTIL)).isTrue();
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-3", NOW, UNTIL)).isFalse();
    assertThat(first.tryAcquire(ec2, "eu-west-1", "a", "run-4", NOW, UNTIL))
        .as("another region")
        .isTrue();

    // run-1's instance shows (its slot and its instance count once), then it ends.
    String instance = ec2.add("run-1", "a", "running").instanceId();
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-3", NOW, UNTIL)).isFalse();
    ec2.setState(instance, "terminated");
    first.release("us-east-1", "run-1");
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-3", NOW, UNTIL)).isTrue();
  }

  @Test
  void aRunThatIsNeverTerminatedHoldsItsSlotUntilItsInstanceIsGone() {
    LaunchQuota quota = quota(1, 0);
    String kept = ec2.add("kept", "a", "running").instanceId(); // terminate: Never
    Instant later = NOW.plus(Duration.ofHours(5));
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later, UNTIL)).isFalse();
    ec2.setState(kept, "stopped");
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later, UNTIL)).isFalse();
    ec2.setState(kept, "terminated");
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later, UNTIL)).isTrue();
  }

  @Test
  void capsEachNamespaceBelowTheRegion() {
    LaunchQuota quota = quota(3, 2);
    ec2.add("a-1", "team-a", "running");
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-a", "a-2", NOW, UNTIL)).isTrue();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-a", "a-3", NOW, UNTIL)).isFalse();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-b", "b-1", NOW, UNTIL)).isTrue();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-b", "b-2", NOW, UNTIL))
        .as("region")
        .isFalse();
  }

  @Test
  void aGrantLapsesAtItsRunsTotalTimeoutIfNeverReleased() {
    LaunchQuota quota = quota(1, 0);
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "lost", NOW, UNTIL)).isTrue();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", NOW, UNTIL)).isFalse();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", UNTIL.plusSeconds(1), UNTIL))
        .isTrue();
  }
}
