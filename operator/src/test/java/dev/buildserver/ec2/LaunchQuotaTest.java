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
  void countsWhatEc2HoldsAndWhatWasGrantedButIsNotVisibleYet() {
    LaunchQuota first = quota(2, 0);
    LaunchQuota second = quota(2, 0); // another shard, sharing only the Lease and EC2
    assertThat(first.tryAcquire(ec2, "us-east-1", "a", "run-1", NOW)).isTrue();
    assertThat(first.tryAcquire(ec2, "us-east-1", "a", "run-1", NOW)).as("held").isTrue();
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-2", NOW)).isTrue();
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-3", NOW)).isFalse();
    assertThat(first.tryAcquire(ec2, "eu-west-1", "a", "run-4", NOW)).as("another region").isTrue();

    // run-1's instance runs, then ends: its slot is free again; run-2's is still granted.
    String instance = ec2.add("run-1", "a", "running").instanceId();
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-3", NOW)).isFalse();
    ec2.setState(instance, "terminated");
    assertThat(second.tryAcquire(ec2, "us-east-1", "b", "run-3", NOW)).isTrue();
  }

  @Test
  void aRunThatIsNeverTerminatedHoldsItsSlotUntilItsInstanceIsGone() {
    LaunchQuota quota = quota(1, 0);
    String kept = ec2.add("kept", "a", "running").instanceId(); // terminate: Never
    Instant later = NOW.plus(Duration.ofHours(5));
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later)).isFalse();
    ec2.setState(kept, "stopped");
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later)).isFalse();
    ec2.setState(kept, "terminated");
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later)).isTrue();
  }

  @Test
  void capsEachNamespaceBelowTheRegion() {
    LaunchQuota quota = quota(3, 2);
    ec2.add("a-1", "team-a", "running");
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-a", "a-2", NOW)).isTrue();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-a", "a-3", NOW)).isFalse();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-b", "b-1", NOW)).isTrue();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "team-b", "b-2", NOW)).as("region").isFalse();
  }

  @Test
  void aGrantWhoseInstanceNeverShowedLapses() {
    LaunchQuota quota = quota(1, 0);
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "failed-launch", NOW)).isTrue();
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", NOW)).isFalse();
    Instant later = NOW.plus(LaunchQuota.HELD_FOR).plusSeconds(1);
    assertThat(quota.tryAcquire(ec2, "us-east-1", "a", "next", later)).isTrue();
  }
}
