package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Progress;
import java.time.Duration;

/**
 * Terminating: terminates the instance as {@code terminate} asks, removes a temporary launch
 * template, and records the outcome (Succeeded only when every check passed).
 */
final class Finish implements RunStep {

  private final Instances ec2;

  Finish(Instances ec2) {
    this.ec2 = ec2;
  }

  /** How long after the deadline a run that timed out while Launching looks for its instance. */
  static final Duration LOOKUP_WINDOW = Duration.ofSeconds(60);

  static final Duration LOOKUP_RETRY = Duration.ofSeconds(2);

  @Override
  public Progress advance(Run run) {
    Ec2TestRunSpec spec = run.spec();
    Ec2TestRunStatus status = run.status();
    status.setPhase(Phase.Terminating);
    String uid = run.identity().uid();
    if (status.getInstanceId() != null) {
      // Terminated only if its owner tag says it is this run's (an instance too new to be
      // described yet can only be the one this run launched).
      var named = ec2.describe(spec.region(), status.getInstanceId());
      if (named.isPresent() && !RunStep.ownedBy(named.get(), uid)) {
        RunStep.disown(status, named.get(), uid);
        status.setPhase(Phase.Terminating);
      }
    }
    if (status.getInstanceId() == null && (timedOutWhileLaunching(status) || disowned(status))) {
      // RunInstances may have gone through moments before the timeout, and DescribeInstances is
      // eventually consistent: look for the instance by its owner tag a while before finishing.
      // A run whose status named a foreign instance looks for its own one the same way, once.
      var found = ec2.findByOwner(spec.region(), uid);
      if (found.isPresent()) {
        status.setInstanceId(found.get().instanceId());
      } else if (timedOutWhileLaunching(status)
          && run.now()
              .isBefore(Ec2TestRunner.deadline(spec, run.createdAt()).plus(LOOKUP_WINDOW))) {
        return Progress.requeueAfter(LOOKUP_RETRY);
      }
    }
    boolean passed = passed(status);
    var policy =
        spec.terminate() == null ? Ec2TestRunSpec.TerminatePolicy.Always : spec.terminate();
    boolean terminate =
        policy == Ec2TestRunSpec.TerminatePolicy.Always
            || (policy == Ec2TestRunSpec.TerminatePolicy.OnSuccess && passed);
    String kept = "";
    if (status.getInstanceId() != null) {
      if (terminate) {
        ec2.terminate(spec.region(), status.getInstanceId());
      } else {
        kept = "; " + status.getInstanceId() + " was kept running (terminate: " + policy + ")";
      }
    }
    if (spec.launchTemplate() != null && spec.launchTemplate().data() != null) {
      ec2.deleteTemplate(spec.region(), LaunchSpec.temporaryTemplateName(run.identity().uid()));
    }
    status.setPhase(passed ? Phase.Succeeded : Phase.Failed);
    status.setFinishedAt(RunStep.timestamp(run.now()));
    long failed = status.getChecks().stream().filter(c -> !c.passed()).count();
    status.setMessage(
        (passed
                ? "All " + status.getChecks().size() + " checks passed"
                : failed
                    + " of "
                    + status.getChecks().size()
                    + " checks failed: "
                    + firstFailure(status))
            + kept);
    return Progress.done();
  }

  private static boolean timedOutWhileLaunching(Ec2TestRunStatus status) {
    return status.getChecks().stream()
        .anyMatch(
            c -> c.name().equals("finished") && c.actual().equals("not finished in Launching"));
  }

  private static boolean disowned(Ec2TestRunStatus status) {
    return status.getChecks().stream().anyMatch(c -> c.name().equals("owner") && !c.passed());
  }

  static boolean passed(Ec2TestRunStatus status) {
    return !status.getChecks().isEmpty() && status.getChecks().stream().allMatch(Check::passed);
  }

  static String firstFailure(Ec2TestRunStatus status) {
    return status.getChecks().stream()
        .filter(c -> !c.passed())
        .findFirst()
        .map(c -> c.name() + " expected " + c.expected() + ", got " + c.actual())
        .orElse("");
  }
}
