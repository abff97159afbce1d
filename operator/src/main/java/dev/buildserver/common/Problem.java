package dev.buildserver.common;

/**
 * Why a resource could not reach its desired state, as a condition reason and a message that says
 * what to change. {@code retryable} problems (throttling, outages, permissions being fixed) are
 * retried with backoff; the others wait for the user to change something.
 */
public class Problem extends RuntimeException {

  private final String reason;
  private final boolean retryable;

  public Problem(String reason, String message, boolean retryable) {
    super(message);
    this.reason = reason;
    this.retryable = retryable;
  }

  public Problem(String reason, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.retryable = retryable;
  }

  /** The Problem behind an exception (the SDK wraps what a reconciler throws), if any. */
  public static java.util.Optional<Problem> in(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Problem problem) {
        return java.util.Optional.of(problem);
      }
    }
    return java.util.Optional.empty();
  }

  public String reason() {
    return reason;
  }

  public boolean retryable() {
    return retryable;
  }
}
