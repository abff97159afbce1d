package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Progress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * One phase of an EC2 smoke test: it reads and edits the run's status and says what comes next. A
 * step never sleeps.
 */
interface RunStep {

  /** Everything a step works on; {@code status} is edited in place. */
  record Run(
      Ec2TestRunSpec spec,
      LaunchSpec.RunIdentity identity,
      Instant createdAt,
      Ec2TestRunStatus status,
      Instant now,
      Ec2TestRunner.LaunchGate gate) {}

  Progress advance(Run run);

  /** Moves to {@code phase}; the next step follows as soon as this status is recorded. */
  static Progress enter(Ec2TestRunStatus status, Phase phase, String message) {
    status.setPhase(phase);
    status.setMessage(message);
    return Progress.continueNow();
  }

  /** Records a failed check. */
  static void fail(Ec2TestRunStatus status, Check check) {
    List<Check> checks = new ArrayList<>(status.getChecks());
    checks.add(check);
    status.setChecks(checks);
  }

  static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
