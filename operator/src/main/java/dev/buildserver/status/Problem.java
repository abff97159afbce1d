package dev.buildserver.status;

import java.util.Optional;

/**
 * Why a resource could not reach its desired state: a {@link Reason} and a message that says what
 * to change. Two kinds: user-fixable problems wait for the user to change something; transient ones
 * ({@code retryable}: throttling, outages, a permission being granted) are retried with backoff.
 * {@link StatusRecorder} turns either into a condition and an Event.
 */
public class Problem extends RuntimeException {

  private final Reason reason;
  private final boolean retryable;

  public Problem(Reason reason, String message, boolean retryable) {
    super(message);
    this.reason = reason;
    this.retryable = retryable;
  }

  public Problem(Reason reason, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.retryable = retryable;
  }

  /** The message as the operator shows it: settings are named by their spec fields. */
  @Override
  public String getMessage() {
    return messageFor(Setting.Audience.OPERATOR);
  }

  /** The message with the settings it mentions named for this audience (flags for the CLI). */
  public String messageFor(Setting.Audience audience) {
    return Setting.render(super.getMessage(), audience);
  }

  /** A problem the user fixes by changing the spec or what it points at. */
  public static Problem userError(Reason reason, String message) {
    return new Problem(reason, message, false);
  }

  /** A problem that goes away by itself: retried with backoff. */
  public static Problem transientError(Reason reason, String message, Throwable cause) {
    return new Problem(reason, message, true, cause);
  }

  /**
   * The Problem behind an exception (the SDK wraps what a reconciler throws); anything else is an
   * unexpected error, named by its type only, since its message may quote a request.
   */
  public static Problem of(Throwable e) {
    return in(e)
        .orElseGet(
            () ->
                new Problem(
                    Reason.ReconcileError,
                    "unexpected " + e.getClass().getSimpleName() + "; see the operator log",
                    true,
                    e));
  }

  /** The Problem behind an exception, if any. */
  public static Optional<Problem> in(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Problem problem) {
        return Optional.of(problem);
      }
    }
    return Optional.empty();
  }

  /** The reason's name, as conditions show it. */
  public String reason() {
    return reason.name();
  }

  public Reason kind() {
    return reason;
  }

  public boolean retryable() {
    return retryable;
  }
}
