package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Progress;
import dev.buildserver.status.Reason;
import java.time.Duration;
import java.util.List;

/**
 * Pending: refuses an instance type off {@code buildserver.ec2.allowed-instance-types}, then waits
 * for a launch slot in the region and namespace, then moves on to Launching.
 */
final class AcquireSlot implements RunStep {

  static final Duration RETRY = Duration.ofSeconds(5);

  private final Instances ec2;
  private final List<String> allowedTypes;

  AcquireSlot() {
    this(null, List.of());
  }

  AcquireSlot(Instances ec2, List<String> allowedTypes) {
    this.ec2 = ec2;
    this.allowedTypes = allowedTypes;
  }

  @Override
  public Progress advance(Run run) {
    String region = run.spec().region();
    if (!allowedTypes.isEmpty()) {
      TypeCheck types = TypeCheck.of(ec2, allowedTypes, LaunchSpec.of(run.spec(), run.identity()));
      if (types.refusal() != null) {
        RunStep.fail(run.status(), new Check("launch", "an instance", types.refusal(), false));
        return RunStep.enter(run.status(), Phase.Terminating, types.refusal());
      }
    }
    boolean granted;
    try {
      granted = run.gate().tryAcquire(region, run.identity().uid());
    } catch (Problem p) {
      if (p.kind() != Reason.InvalidRegion) {
        throw p;
      }
      // No call can reach an unknown region: nothing can run there, so the run ends here.
      RunStep.fail(run.status(), new Check("launch", "an instance", p.getMessage(), false));
      return RunStep.enter(run.status(), Phase.Terminating, p.getMessage());
    }
    if (!granted) {
      run.status().setPhase(Phase.Pending);
      run.status()
          .setMessage(
              "Waiting for a launch slot: too many runs are active in "
                  + region
                  + " or in this namespace");
      return Progress.requeueAfter(RETRY);
    }
    return RunStep.enter(run.status(), Phase.Launching, "Launching an instance in " + region);
  }
}
