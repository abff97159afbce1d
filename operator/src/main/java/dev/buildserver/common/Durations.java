package dev.buildserver.common;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations of the API ("90s", "15m", "1h30m"), as the CRDs' pattern allows them. */
public final class Durations {

  private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h)");

  private Durations() {}

  /** A duration as the API writes it: "5m", "1h30m", "90s". */
  public static String format(Duration d) {
    StringBuilder out = new StringBuilder();
    long hours = d.toHours();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    if (hours > 0) out.append(hours).append('h');
    if (minutes > 0) out.append(minutes).append('m');
    if (seconds > 0 || out.length() == 0) out.append(seconds).append('s');
    return out.toString();
  }

  public static Optional<Duration> parse(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    Matcher m = PART.matcher(text.trim());
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a duration like 90s, 15m or 1h30m");
      }
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      end = m.end();
    }
    if (end != text.trim().length() || end == 0) {
      throw new IllegalArgumentException("'" + text + "' is not a duration like 90s, 15m or 1h30m");
    }
    return Optional.of(total);
  }
}
