package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.ConditionSpec;
import dev.buildserver.status.ConditionSpec.Status;
import java.util.List;

/** The conditions Complete and Succeeded of a run, from its status. Pure. */
public final class RunConditions {

  public static final String COMPLETE = "Complete";
  public static final String SUCCEEDED = "Succeeded";

  private RunConditions() {}

  public static List<ConditionSpec> of(Ec2TestRunStatus status) {
    Phase phase = status.getPhase() == null ? Phase.Pending : status.getPhase();
    String message = status.getMessage() == null ? phase.name() : status.getMessage();
    if (phase != Phase.Succeeded && phase != Phase.Failed) {
      return List.of(
          new ConditionSpec(COMPLETE, Status.False, phase.name(), message, false),
          new ConditionSpec(SUCCEEDED, Status.Unknown, phase.name(), message, false));
    }
    boolean passed = phase == Phase.Succeeded;
    return List.of(
        new ConditionSpec(COMPLETE, Status.True, "Finished", message, false),
        new ConditionSpec(
            SUCCEEDED,
            passed ? Status.True : Status.False,
            passed ? "ChecksPassed" : failure(status),
            message));
  }

  /** Why a run failed, as a reason: InstanceNotOwned, LaunchFailed, TimedOut or ChecksFailed. */
  static String failure(Ec2TestRunStatus status) {
    Check first = status.getChecks().stream().filter(c -> !c.passed()).findFirst().orElse(null);
    if (first == null) {
      return "ChecksFailed";
    }
    if (first.name().equals("owner")) {
      return "InstanceNotOwned";
    }
    if (first.name().equals("launch")) {
      return "LaunchFailed";
    }
    if (first.name().equals("finished") || first.actual().startsWith("pending after")) {
      return "TimedOut";
    }
    return "ChecksFailed";
  }
}
