package dev.buildserver.common;

/** An outbound fetch that the rules refuse or that failed; the reason is CamelCase. */
public class OutboundRefused extends Exception {

  private final String reason;

  public OutboundRefused(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public OutboundRefused(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
