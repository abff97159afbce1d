package dev.buildserver.status;

import java.util.List;

/**
 * A condition as a reconciler decides it: type, status, CamelCase reason and a message that says
 * what happened and, on failure, what to change. {@code warning} (nullable) overrides whether its
 * event is a Warning, for conditions that are False without being bad news (a run in progress). The
 * message is made safe here, whatever it quotes: control characters escaped, so that no newline
 * forges a log line, and at most {@value Echo#MAX_MESSAGE} characters.
 */
public record ConditionSpec(
    String type, Status status, String reason, String message, Boolean warning) {

  public ConditionSpec {
    message = Echo.message(message);
  }

  /** A condition whose event is a Warning exactly when its status is not True (except Paused). */
  public ConditionSpec(String type, Status status, String reason, String message) {
    this(type, status, reason, message, null);
  }

  /** The tri-state of a metav1.Condition. */
  public enum Status {
    True,
    False,
    Unknown
  }

  public static final String READY = "Ready";

  public static ConditionSpec ready(String reason, String message) {
    return new ConditionSpec(READY, Status.True, reason, message);
  }

  public static ConditionSpec notReady(String reason, String message) {
    return new ConditionSpec(READY, Status.False, reason, message);
  }

  /** Ready=False for a problem: its reason and message. */
  public static List<ConditionSpec> notReady(Problem problem) {
    return List.of(notReady(problem.reason(), problem.getMessage()));
  }

  /** Whether this outcome is bad news for a user (a Warning event rather than a Normal one). */
  public boolean isWarning() {
    if (warning != null) {
      return warning;
    }
    return status != Status.True && !Pause.REASON.equals(reason);
  }
}
