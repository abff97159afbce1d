package dev.buildserver.ec2;

import dev.buildserver.common.Durations;
import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Progress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * WaitingForRunning: polls the instance (2 s growing to 30 s) until it runs, fails the run when it
 * ends in another state, stays pending past {@code timeouts.running}, or stays invisible for 60 s.
 */
final class AwaitRunning implements RunStep {

  static final Duration FIRST_POLL = Duration.ofSeconds(2);
  static final Duration LONGEST_POLL = Duration.ofSeconds(30);
  static final Duration INVISIBLE_FOR = Duration.ofSeconds(60);

  private final Instances ec2;

  AwaitRunning(Instances ec2) {
    this.ec2 = ec2;
  }

  @Override
  public Progress advance(Run run) {
    Ec2TestRunStatus status = run.status();
    Duration waited = Duration.between(Instant.parse(status.getLaunchedAt()), run.now());
    Optional<InstanceInfo> instance = ec2.describe(run.spec().region(), status.getInstanceId());
    if (instance.isEmpty()) {
      if (waited.compareTo(INVISIBLE_FOR) > 0) {
        RunStep.fail(status, new Check("state", "running", "instance not found", false));
        return RunStep.enter(status, Phase.Terminating, status.getInstanceId() + " was not found");
      }
      return Progress.requeueAfter(FIRST_POLL);
    }
    InstanceInfo info = instance.get();
    if (!RunStep.ownedBy(info, run.identity().uid())) {
      return RunStep.disown(status, info, run.identity().uid());
    }
    status.setAvailabilityZone(info.availabilityZone());
    status.setInstanceType(info.instanceType());
    if ("running".equals(info.state())) {
      status.setRunningAt(RunStep.timestamp(run.now()));
      status.setTimeToRunningSeconds(Math.max(0, waited.toSeconds()));
      return RunStep.enter(status, Phase.Verifying, info.instanceId() + " is running");
    }
    Duration limit = Ec2TestRunner.timeout(run.spec(), false);
    if (!"pending".equals(info.state()) || waited.compareTo(limit) > 0) {
      String actual =
          "pending".equals(info.state())
              ? "pending after " + Durations.format(limit)
              : info.state();
      RunStep.fail(
          status, new Check("state", "running within " + Durations.format(limit), actual, false));
      return RunStep.enter(
          status, Phase.Terminating, info.instanceId() + " did not reach running: " + actual);
    }
    status.setPhase(Phase.WaitingForRunning);
    status.setMessage("Waiting for " + info.instanceId() + " to run (" + info.state() + ")");
    Duration poll = waited.dividedBy(4);
    return Progress.requeueAfter(
        poll.compareTo(FIRST_POLL) < 0
            ? FIRST_POLL
            : poll.compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : poll);
  }
}
