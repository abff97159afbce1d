package dev.buildserver.status;

/**
 * A value from a spec, a remote answer or a header, made safe to quote in a condition, an Event or
 * a log line: control characters escaped (no newline can forge a log line, no escape sequence
 * reaches a terminal) and cut to {@value #MAX} characters, marked as cut.
 */
public final class Echo {

  /** The most characters of one value that are echoed. */
  public static final int MAX = 120;

  private Echo() {}

  public static String value(String raw) {
    if (raw == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(raw.length(), MAX) + 16);
    int shown = 0;
    for (int i = 0; i < raw.length() && shown < MAX; i++, shown++) {
      char c = raw.charAt(i);
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (raw.length() > MAX) {
      out.append("…(cut, ").append(raw.length()).append(" chars)");
    }
    return out.toString();
  }
}
