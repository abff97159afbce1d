package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Progress;
import java.time.Duration;

/** Pending: waits for a launch slot in the region, then moves on to Launching. */
final class AcquireSlot implements RunStep {

  static final Duration RETRY = Duration.ofSeconds(5);

  @Override
  public Progress advance(Run run) {
    String region = run.spec().region();
    if (!run.gate().tryAcquire(region, run.identity().uid())) {
      run.status().setPhase(Phase.Pending);
      run.status().setMessage("Waiting for a launch slot: too many runs are active in " + region);
      return Progress.requeueAfter(RETRY);
    }
    return RunStep.enter(run.status(), Phase.Launching, "Launching an instance in " + region);
  }
}
