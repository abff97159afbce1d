package dev.buildserver.status;

/**
 * A value from a spec, a remote answer or a header, made safe to quote in a condition, an Event, a
 * log line or a terminal: control characters escaped (no newline can forge a log line, no escape
 * sequence reaches a terminal) and, for a quoted value, cut to {@value #MAX} characters, marked as
 * cut.
 */
public final class Echo {

  /** The most characters of one value that are echoed. */
  public static final int MAX = 120;

  /** The most characters of a whole condition or Event message. */
  public static final int MAX_MESSAGE = 1024;

  private Echo() {}

  /** A value to quote inside a message: escaped, and cut to {@value #MAX} characters. */
  public static String value(String raw) {
    return raw == null ? "null" : escape(raw, MAX);
  }

  /** A whole message (a condition's, an Event's): escaped, cut to {@value #MAX_MESSAGE}. */
  public static String message(String raw) {
    return raw == null ? null : escape(raw, MAX_MESSAGE);
  }

  /** A value shown whole, in a table cell say: escaped, never cut. */
  public static String escaped(String raw) {
    return raw == null ? null : escape(raw, Integer.MAX_VALUE);
  }

  /**
   * Whether a character is a control character: C0 (U+0000 to U+001F), DEL (U+007F) or C1 (U+0080
   * to U+009F).
   */
  public static boolean isControl(int c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
  }

  private static String escape(String raw, int max) {
    if (raw.length() <= max && raw.chars().noneMatch(Echo::needsEscape)) {
      return raw;
    }
    StringBuilder out = new StringBuilder(Math.min(raw.length(), max) + 32);
    int shown = 0;
    for (int i = 0; i < raw.length() && shown < max; i++, shown++) {
      char c = raw.charAt(i);
      if (Character.isHighSurrogate(c) && shown + 1 == max && raw.length() > max) {
        break; // never half a character
      }
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (needsEscape(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (raw.length() > max) {
      out.append("…(cut, ").append(raw.length()).append(" chars)");
    }
    return out.toString();
  }

  /**
   * Control characters, and the separators and direction marks that make a line read as something
   * else: U+2028 and U+2029 (taken for line ends), U+202A to U+202E and U+2066 to U+2069 (bidi
   * overrides that reorder what a terminal shows).
   */
  private static boolean needsEscape(int c) {
    return isControl(c)
        || c == 0x2028
        || c == 0x2029
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069);
  }
}
