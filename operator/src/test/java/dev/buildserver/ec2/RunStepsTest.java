package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Progress;
import dev.buildserver.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Each phase of a run on its own, against EC2 in memory: what it calls, records and asks for. */
class RunStepsTest {

  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private static final LaunchSpec.RunIdentity ID = new LaunchSpec.RunIdentity("uid-1", "ns", "run");
  private final FakeInstances ec2 = new FakeInstances();

  private static Ec2TestRunSpec spec(Ec2TestRunSpec.Expectations expect) {
    return new Ec2TestRunSpec(
        "us-east-1",
        null,
        "ami-12c6146b",
        "t2.micro",
        null,
        List.of(),
        Map.of(),
        expect,
        new Ec2TestRunSpec.Timeouts("1m", "5m"),
        null,
        null,
        null);
  }

  private static RunStep.Run run(Ec2TestRunStatus status, Instant now, boolean slot) {
    return new RunStep.Run(spec(null), ID, CREATED, status, now, (r, u) -> slot);
  }

  private static Ec2TestRunStatus in(Phase phase) {
    Ec2TestRunStatus status = new Ec2TestRunStatus();
    status.setPhase(phase);
    return status;
  }

  @Nested
  class AcquireSlotStep {
    @Test
    void waitsForASlotThenMovesToLaunching() {
      Ec2TestRunStatus status = in(Phase.Pending);
      assertThat(new AcquireSlot().advance(run(status, CREATED, false)))
          .isEqualTo(Progress.requeueAfter(AcquireSlot.RETRY));
      assertThat(status.getPhase()).isEqualTo(Phase.Pending);

      assertThat(new AcquireSlot().advance(run(status, CREATED, true)))
          .isEqualTo(Progress.continueNow());
      assertThat(status.getPhase()).isEqualTo(Phase.Launching);
      assertThat(ec2.calls).isEmpty();
    }
  }

  @Nested
  class LaunchStep {
    @Test
    void launchesOnceAndRecordsTheInstance() {
      Ec2TestRunStatus status = in(Phase.Launching);
      assertThat(new Launch(ec2).advance(run(status, CREATED, true)))
          .isEqualTo(Progress.continueNow());
      assertThat(status.getPhase()).isEqualTo(Phase.WaitingForRunning);
      assertThat(status.getInstanceId()).isEqualTo("i-1");
      assertThat(ec2.calls).containsExactly("DescribeInstances(owner)", "RunInstances");
    }

    @Test
    void endsTheRunInARegionNoCallCanReach() {
      ec2.lookupFailure = new Problem(Reason.InvalidRegion, "'zz-nowhere-1' is no region", false);
      Ec2TestRunStatus status = in(Phase.Launching);
      new Launch(ec2).advance(run(status, CREATED, true));
      assertThat(status.getPhase()).isEqualTo(Phase.Terminating);
      assertThat(status.getChecks()).extracting(c -> c.passed()).containsExactly(false);
    }

    @Test
    void keepsLookingWhenTheLookupIsRefused() {
      // An instance launched before a crash may exist: a refused lookup must not end the run.
      ec2.lookupFailure = new Problem(Reason.AccessDenied, "UnauthorizedOperation", false);
      Ec2TestRunStatus status = in(Phase.Launching);
      assertThatThrownBy(() -> new Launch(ec2).advance(run(status, CREATED, true)))
          .isSameAs(ec2.lookupFailure);
      assertThat(status.getPhase()).isEqualTo(Phase.Launching);
      assertThat(ec2.calls).containsExactly("DescribeInstances(owner)");
    }

    @Test
    void adoptsTheInstanceAnEarlierAttemptLaunched() {
      InstanceInfo earlier = ec2.add(ID.uid(), "pending");
      Ec2TestRunStatus status = in(Phase.Launching);
      new Launch(ec2).advance(run(status, CREATED, true));
      assertThat(status.getInstanceId()).isEqualTo(earlier.instanceId());
      assertThat(ec2.calls).containsExactly("DescribeInstances(owner)");
    }
  }

  @Nested
  class AllowedInstanceTypes {
    @Test
    void refusesATypeOffTheListBeforeItTakesASlot() {
      Ec2TestRunStatus status = in(Phase.Pending);
      new AcquireSlot(ec2, List.of("t3.micro")).advance(run(status, CREATED, true));
      assertThat(status.getPhase()).isEqualTo(Phase.Terminating);
      assertThat(status.getChecks())
          .singleElement()
          .satisfies(c -> assertThat(c.actual()).contains("t2.micro is not allowed"));
      assertThat(ec2.calls).isEmpty();
      assertThat(RunConditions.failure(status)).isEqualTo("LaunchFailed");
    }

    @Test
    void readsTheTypeOfANamedLaunchTemplate() {
      ec2.templateTypes.put("small", "t3.micro");
      Ec2TestRunSpec fromTemplate =
          new Ec2TestRunSpec(
              "us-east-1",
              new Ec2TestRunSpec.LaunchTemplateReference(null, "small", null, null),
              null,
              null,
              null,
              List.of(),
              Map.of(),
              null,
              new Ec2TestRunSpec.Timeouts("1m", "5m"),
              null,
              null,
              null);
      Ec2TestRunStatus status = in(Phase.Pending);
      new AcquireSlot(ec2, List.of("t3.micro"))
          .advance(new RunStep.Run(fromTemplate, ID, CREATED, status, CREATED, (r, u) -> true));
      assertThat(status.getPhase()).isEqualTo(Phase.Launching);
      assertThat(ec2.calls).containsExactly("DescribeLaunchTemplateVersions");
    }
  }

  @Nested
  class AwaitRunningStep {
    @Test
    void pollsWhilePendingAndMovesOnOnceRunning() {
      String id = ec2.add(ID.uid(), "pending").instanceId();
      Ec2TestRunStatus status = in(Phase.WaitingForRunning);
      status.setInstanceId(id);
      status.setLaunchedAt(CREATED.toString());

      Progress polled = new AwaitRunning(ec2).advance(run(status, CREATED.plusSeconds(4), true));
      assertThat(polled).isEqualTo(Progress.requeueAfter(AwaitRunning.FIRST_POLL));
      assertThat(status.getPhase()).isEqualTo(Phase.WaitingForRunning);

      ec2.setState(id, "running");
      assertThat(new AwaitRunning(ec2).advance(run(status, CREATED.plusSeconds(9), true)))
          .isEqualTo(Progress.continueNow());
      assertThat(status.getPhase()).isEqualTo(Phase.Verifying);
      assertThat(status.getTimeToRunningSeconds()).isEqualTo(9);
    }

    @Test
    void failsAnInstanceStillPendingPastTheRunningTimeout() {
      String id = ec2.add(ID.uid(), "pending").instanceId();
      Ec2TestRunStatus status = in(Phase.WaitingForRunning);
      status.setInstanceId(id);
      status.setLaunchedAt(CREATED.toString());
      new AwaitRunning(ec2).advance(run(status, CREATED.plus(Duration.ofMinutes(2)), true));
      assertThat(status.getPhase()).isEqualTo(Phase.Terminating);
      assertThat(status.getChecks())
          .singleElement()
          .satisfies(c -> assertThat(c.actual()).isEqualTo("pending after 1m"));
    }
  }

  @Nested
  class VerifyStep {
    @Test
    void checksTheExpectationsAndAnInstanceThatVanishedFailsACheck() {
      String id = ec2.add(ID.uid(), "running").instanceId();
      Ec2TestRunStatus status = in(Phase.Verifying);
      status.setInstanceId(id);
      new Verify(ec2).advance(run(status, CREATED, true));
      assertThat(status.getPhase()).isEqualTo(Phase.Terminating);
      assertThat(status.getChecks()).isNotEmpty().allMatch(Check::passed);

      Ec2TestRunStatus gone = in(Phase.Verifying);
      gone.setInstanceId("i-gone");
      new Verify(ec2).advance(run(gone, CREATED, true));
      assertThat(gone.getPhase()).isEqualTo(Phase.Terminating);
      assertThat(gone.getChecks()).extracting(Check::actual).containsExactly("instance not found");
    }
  }

  @Nested
  class FinishStep {
    @Test
    void terminatesAndRecordsTheOutcome() {
      String id = ec2.add(ID.uid(), "running").instanceId();
      Ec2TestRunStatus status = in(Phase.Terminating);
      status.setInstanceId(id);
      status.setChecks(List.of(new Check("state", "running", "running", true)));
      assertThat(new Finish(ec2).advance(run(status, CREATED, true))).isEqualTo(Progress.done());
      assertThat(status.getPhase()).isEqualTo(Phase.Succeeded);
      assertThat(ec2.instances.get(id).state()).isEqualTo("terminated");
      assertThat(ec2.calls).containsExactly("DescribeInstances", "TerminateInstances");
    }
  }

  /** Status can be patched by anyone who may patch it: only the run-uid tag proves ownership. */
  @Nested
  class AnInstanceNamedInAForgedStatus {

    private String victim() {
      return ec2.add("uid-of-another-team", "running").instanceId();
    }

    private void assertDisowned(Ec2TestRunStatus status, String victim) {
      assertThat(status.getPhase()).isEqualTo(Phase.Terminating);
      assertThat(status.getInstanceId()).isNull();
      assertThat(status.getChecks())
          .anySatisfy(
              c -> {
                assertThat(c.name()).isEqualTo("owner");
                assertThat(c.passed()).isFalse();
                assertThat(c.actual()).contains(victim);
              });
      assertThat(ec2.instances.get(victim).state()).isEqualTo("running");
    }

    @Test
    void isNeitherAdoptedWhileWaitingForRunning() {
      String victim = victim();
      Ec2TestRunStatus status = in(Phase.WaitingForRunning);
      status.setInstanceId(victim);
      status.setLaunchedAt(CREATED.toString());
      new AwaitRunning(ec2).advance(run(status, CREATED.plusSeconds(4), true));
      assertDisowned(status, victim);
      assertThat(status.getRunningAt()).isNull();
    }

    @Test
    void norVerified() {
      String victim = victim();
      Ec2TestRunStatus status = in(Phase.Verifying);
      status.setInstanceId(victim);
      new Verify(ec2).advance(run(status, CREATED, true));
      assertDisowned(status, victim);
      assertThat(status.getChecks()).filteredOn(c -> !c.name().equals("owner")).isEmpty();
    }

    @Test
    void norTerminatedWhileTheRunsOwnInstanceIs() {
      String victim = victim();
      String own = ec2.add(ID.uid(), "running").instanceId();
      Ec2TestRunStatus status = in(Phase.Terminating);
      status.setInstanceId(victim);
      status.setChecks(List.of(new Check("state", "running", "running", true)));
      new Finish(ec2).advance(run(status, CREATED, true));
      assertThat(status.getPhase()).isEqualTo(Phase.Failed);
      assertThat(ec2.instances.get(victim).state()).isEqualTo("running");
      assertThat(ec2.instances.get(own).state()).isEqualTo("terminated");
      assertThat(RunConditions.failure(status)).isEqualTo("InstanceNotOwned");
    }

    @Test
    void isNotWhatADeletedRunCleansUp() {
      String victim = victim();
      Ec2TestRunStatus status = in(Phase.WaitingForRunning);
      status.setInstanceId(victim);
      Ec2TestRunner runner = new Ec2TestRunner(ec2);
      assertThat(runner.instanceOf("us-east-1", ID.uid(), status)).isEmpty();
      String own = ec2.add(ID.uid(), "running").instanceId();
      assertThat(runner.instanceOf("us-east-1", ID.uid(), status)).contains(own);
    }
  }

  @Test
  void theTotalTimeoutFindsAnUnrecordedInstanceByItsOwnerTag() {
    String id = ec2.add(ID.uid(), "running").instanceId();
    Ec2TestRunStatus status = in(Phase.Launching);
    Ec2TestRunner runner = new Ec2TestRunner(ec2);
    Instant late = CREATED.plus(Duration.ofMinutes(6));
    runner.step(spec(null), ID, CREATED, status, late, Ec2TestRunner.LaunchGate.ALWAYS);
    assertThat(status.getPhase()).isEqualTo(Phase.Terminating);
    assertThat(status.getInstanceId()).isEqualTo(id);
    runner.step(spec(null), ID, CREATED, status, late, Ec2TestRunner.LaunchGate.ALWAYS);
    assertThat(status.getPhase()).isEqualTo(Phase.Failed);
    assertThat(ec2.instances.get(id).state()).isEqualTo("terminated");
  }

  @Test
  void aRunThatTimedOutWhileLaunchingKeepsLookingForItsInstanceBeforeItFinishes() {
    String id = ec2.add(ID.uid(), "running").instanceId();
    ec2.hiddenLookups = 2; // EC2 does not list the instance yet
    Ec2TestRunStatus status = in(Phase.Launching);
    Ec2TestRunner runner = new Ec2TestRunner(ec2);
    Instant late = CREATED.plus(Duration.ofMinutes(5)).plusSeconds(1);
    runner.step(spec(null), ID, CREATED, status, late, Ec2TestRunner.LaunchGate.ALWAYS);
    assertThat(status.getInstanceId()).isNull();
    assertThat(runner.step(spec(null), ID, CREATED, status, late, Ec2TestRunner.LaunchGate.ALWAYS))
        .isEqualTo(Progress.requeueAfter(Finish.LOOKUP_RETRY));
    runner.step(spec(null), ID, CREATED, status, late, Ec2TestRunner.LaunchGate.ALWAYS);
    assertThat(status.getPhase()).isEqualTo(Phase.Failed);
    assertThat(status.getInstanceId()).isEqualTo(id);
    assertThat(ec2.instances.get(id).state()).isEqualTo("terminated");
  }
}
