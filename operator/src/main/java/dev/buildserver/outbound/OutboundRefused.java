package dev.buildserver.outbound;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;

/** An outbound fetch that the rules refuse or that failed, with its reason. */
public class OutboundRefused extends Exception {

  private final Reason reason;

  public OutboundRefused(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public OutboundRefused(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** The reason's name, as conditions show it. */
  public String reason() {
    return reason.name();
  }

  public Reason kind() {
    return reason;
  }

  /** A connection that failed or timed out: worth another try. */
  public boolean isTransient() {
    return reason == Reason.UrlUnreachable;
  }

  /** The same failure as a Problem, user-fixable unless transient. */
  public Problem toProblem(String message) {
    return new Problem(reason, message, isTransient(), this);
  }
}
