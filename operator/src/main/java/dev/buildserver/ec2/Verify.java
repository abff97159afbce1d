package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Verifying: checks the running instance against the expectations, then moves to Terminating. */
final class Verify implements RunStep {

  private final Instances ec2;

  Verify(Instances ec2) {
    this.ec2 = ec2;
  }

  @Override
  public Progress advance(Run run) {
    Ec2TestRunStatus status = run.status();
    Optional<InstanceInfo> info = ec2.describe(run.spec().region(), status.getInstanceId());
    if (info.isPresent() && !RunStep.ownedBy(info.get(), run.identity().uid())) {
      return RunStep.disown(status, info.get(), run.identity().uid());
    }
    if (info.isEmpty()) {
      // Not found after it ran: a failed check, and the instance is still terminated.
      RunStep.fail(status, new Check("state", "running", "instance not found", false));
    } else {
      List<Check> checks = new ArrayList<>(status.getChecks());
      checks.addAll(ExpectationCheck.check(run.spec().region(), run.spec().expect(), info.get()));
      status.setChecks(checks);
    }
    return RunStep.enter(
        status, Phase.Terminating, "Checked " + status.getChecks().size() + " expectations");
  }
}
