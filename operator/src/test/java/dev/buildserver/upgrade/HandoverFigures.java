package dev.buildserver.upgrade;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of one hand-over (upgrade or rollback), row by row as the summary prints them, and
 * the details behind them (which resource, which field).
 */
final class HandoverFigures {

  private final String title;
  private final Map<String, Object> rows = new LinkedHashMap<>();
  private final List<String> details = new ArrayList<>();
  private final Map<String, Long> mustBeZero = new LinkedHashMap<>();

  HandoverFigures(String title) {
    this.title = title;
  }

  String title() {
    return title;
  }

  void put(String row, Object value) {
    rows.put(row, value);
  }

  void time(String row, Duration duration) {
    rows.put(row, seconds(duration));
  }

  /** A count that must be 0 (for the upgrade): the row says so. */
  void zero(String row, long count) {
    rows.put(row + " (must be 0)", count);
    mustBeZero.put(row, count);
  }

  /** The counts that must be 0, by row. */
  Map<String, Long> mustBeZero() {
    return mustBeZero;
  }

  void detail(String line) {
    details.add(line);
  }

  Map<String, Object> rows() {
    return rows;
  }

  List<String> details() {
    return details;
  }

  static String seconds(Duration duration) {
    return duration == null ? "not reached" : "%.1f s".formatted(duration.toMillis() / 1000.0);
  }
}
