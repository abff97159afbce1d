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

  /**
   * Whether an instance is this run's. Only its run-uid tag proves that: a status can be patched by
   * anyone who may patch it, so the instance id it names proves nothing.
   */
  static boolean ownedBy(InstanceInfo instance, String uid) {
    return uid.equals(instance.tags().get(LaunchSpec.OWNER_UID_TAG));
  }

  /**
   * Drops an instance that status named but this run did not launch: a failed {@code owner} check
   * records it, the instance is left alone, and the run moves on to finish.
   */
  static Progress disown(Ec2TestRunStatus status, InstanceInfo foreign, String uid) {
    fail(
        status,
        new Check(
            "owner",
            LaunchSpec.OWNER_UID_TAG + "=" + uid,
            foreign.instanceId()
                + (foreign.tags().containsKey(LaunchSpec.OWNER_UID_TAG)
                    ? " belongs to another run"
                    : " carries no " + LaunchSpec.OWNER_UID_TAG + " tag"),
            false));
    status.setInstanceId(null);
    return enter(
        status,
        Phase.Terminating,
        "status.instanceId named "
            + foreign.instanceId()
            + ", which this run did not launch: it is left alone (was the status edited by hand?)");
  }

  static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
