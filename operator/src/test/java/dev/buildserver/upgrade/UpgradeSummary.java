package dev.buildserver.upgrade;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * target/upgrade/summary.md: the releases, the machine, and one column of figures per hand-over
 * (upgrade, then rollback), with the details behind them.
 */
final class UpgradeSummary {

  private final Release earlier;
  private final Release today;
  private final Instant started = Instant.now();
  private final List<String> setup = new ArrayList<>();
  private final List<HandoverFigures> handovers = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();

  UpgradeSummary(Release earlier, Release today) {
    this.earlier = earlier;
    this.today = today;
  }

  void setup(String line) {
    setup.add(line);
  }

  void add(HandoverFigures figures) {
    handovers.add(figures);
  }

  /** What stopped a step, on one line. */
  void failure(String line) {
    String flat = line.replaceAll("\\s+", " ");
    failures.add(flat.length() > 600 ? flat.substring(0, 597) + "..." : flat);
  }

  void write(Path file) {
    StringBuilder md = new StringBuilder();
    md.append("# make upgrade-test\n\n")
        .append("| | |\n|---|---|\n")
        .append("| date | ")
        .append(started.truncatedTo(ChronoUnit.SECONDS))
        .append(" |\n| earlier release (FROM) | ")
        .append(earlier.commit())
        .append(" |\n| today | ")
        .append(today.commit())
        .append(" |\n| machine | ")
        .append(machine())
        .append(" |\n| run time | ")
        .append(HandoverFigures.seconds(Duration.between(started, Instant.now())))
        .append(" |\n\n");
    md.append("## Set-up (the earlier release)\n\n");
    setup.forEach(line -> md.append("- ").append(line).append('\n'));
    if (!handovers.isEmpty()) {
      md.append("\n## Figures\n\nCounted through the API server, S3 and EC2 (moto), never the")
          .append(" operator's own status. Rows marked (must be 0) are asserted for the upgrade")
          .append(" only; the rollback is shown as it is.\n\n| |");
      handovers.forEach(h -> md.append(' ').append(h.title()).append(" |"));
      md.append("\n|---|");
      handovers.forEach(h -> md.append("---|"));
      md.append('\n');
      Set<String> rows = new LinkedHashSet<>();
      handovers.forEach(h -> rows.addAll(h.rows().keySet()));
      for (String row : rows) {
        md.append("| ").append(row).append(" |");
        for (HandoverFigures h : handovers) {
          Object value = h.rows().get(row);
          md.append(' ').append(value == null ? "" : escape(String.valueOf(value))).append(" |");
        }
        md.append('\n');
      }
      for (HandoverFigures h : handovers) {
        md.append("\n### ").append(h.title()).append(": details\n\n");
        if (h.details().isEmpty()) {
          md.append("Nothing else to report.\n");
        }
        h.details().forEach(line -> md.append("- ").append(line).append('\n'));
      }
    }
    if (!failures.isEmpty()) {
      md.append("\n## Not completed\n\n");
      failures.forEach(line -> md.append("- ").append(line).append('\n'));
    }
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, md.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** nproc and RAM of this machine, and the JVM. */
  static String machine() {
    long kib = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          kib = Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux: RAM unknown
    }
    return Runtime.getRuntime().availableProcessors()
        + " CPUs (nproc), "
        + (kib == 0 ? "RAM unknown" : "%.1f GiB RAM".formatted(kib / 1024.0 / 1024.0))
        + ", Java "
        + System.getProperty("java.version")
        + ", "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.arch");
  }

  private static String escape(String cell) {
    return cell.replace("|", "\\|").replace("\n", " ");
  }
}
