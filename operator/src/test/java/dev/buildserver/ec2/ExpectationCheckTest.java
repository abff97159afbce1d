package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpectationCheckTest {

  private static final InstanceInfo RUNNING =
      new InstanceInfo(
          "i-1",
          "running",
          "t2.micro",
          "us-east-1b",
          "subnet-1",
          List.of("sg-1", "sg-2"),
          Map.of("type", "aws-test", "team", "x"),
          Instant.EPOCH);

  @Test
  void alwaysChecksRegionAndState() {
    assertThat(ExpectationCheck.check("us-east-1", null, RUNNING))
        .containsExactly(
            new Check("region", "us-east-1", "us-east-1", true),
            new Check("state", "running", "running", true));
    assertThat(ExpectationCheck.check("eu-west-1", null, RUNNING).get(0).passed()).isFalse();
  }

  @Test
  void checksEveryExpectationItIsGiven() {
    var expect =
        new Ec2TestRunSpec.Expectations(
            "t2.micro",
            "us-east-1a",
            "subnet-1",
            List.of("sg-2"),
            Map.of("type", "aws-test", "owner", "me"),
            null);
    List<Check> checks = ExpectationCheck.check("us-east-1", expect, RUNNING);
    assertThat(checks)
        .extracting(Check::name, Check::passed)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("region", true),
            org.assertj.core.groups.Tuple.tuple("state", true),
            org.assertj.core.groups.Tuple.tuple("instanceType", true),
            org.assertj.core.groups.Tuple.tuple("availabilityZone", false),
            org.assertj.core.groups.Tuple.tuple("subnetId", true),
            org.assertj.core.groups.Tuple.tuple("securityGroupIds", true),
            org.assertj.core.groups.Tuple.tuple("tag:owner", false),
            org.assertj.core.groups.Tuple.tuple("tag:type", true));
    assertThat(checks.get(6).actual()).isEmpty();
  }

  @Test
  void conditionsSayWhyARunFailed() {
    Ec2TestRunStatus status = new Ec2TestRunStatus();
    status.setPhase(Phase.WaitingForRunning);
    assertThat(RunConditions.of(status))
        .extracting(c -> c.type() + "=" + c.status() + "/" + c.reason())
        .containsExactly("Complete=False/WaitingForRunning", "Succeeded=Unknown/WaitingForRunning");
    assertThat(RunConditions.of(status)).noneMatch(c -> c.isWarning());

    status.setPhase(Phase.Failed);
    status.setChecks(List.of(new Check("launch", "an instance", "InvalidAMIID.NotFound", false)));
    assertThat(RunConditions.of(status).get(1).reason()).isEqualTo("LaunchFailed");
    assertThat(RunConditions.of(status).get(1).isWarning()).isTrue();
    status.setChecks(List.of(new Check("state", "running within 5m", "pending after 5m", false)));
    assertThat(RunConditions.of(status).get(1).reason()).isEqualTo("TimedOut");
    status.setChecks(
        List.of(
            new Check("region", "us-east-1", "us-east-1", true),
            new Check("tag:x", "1", "2", false)));
    assertThat(RunConditions.of(status).get(1).reason()).isEqualTo("ChecksFailed");
    status.setPhase(Phase.Succeeded);
    assertThat(RunConditions.of(status).get(1).reason()).isEqualTo("ChecksPassed");
  }
}
