package dev.buildserver.testing;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of a Prometheus text exposition (what {@code /prometheus} serves). */
public final class PrometheusText {

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final String text;

  public PrometheusText(String text) {
    this.text = text;
  }

  /**
   * The sum of the samples of {@code name} whose labels include all of {@code labels}; 0 when there
   * is none.
   */
  public double sum(String name, Map<String, String> labels) {
    double total = 0;
    for (String line : text.lines().toList()) {
      if (line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line.strip());
      if (!sample.matches() || !sample.group(1).equals(name)) {
        continue;
      }
      Map<String, String> present = new HashMap<>();
      if (sample.group(3) != null) {
        Matcher label = LABEL.matcher(sample.group(3));
        while (label.find()) {
          present.put(label.group(1), label.group(2));
        }
      }
      if (present.entrySet().containsAll(labels.entrySet())) {
        total += Double.parseDouble(sample.group(4));
      }
    }
    return total;
  }

  public double sum(String name) {
    return sum(name, Map.of());
  }

  /** Whether any sample of this metric is exposed. */
  public boolean has(String name) {
    return text.lines().anyMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " "));
  }
}
