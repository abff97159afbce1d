package dev.buildserver.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A process's memory as the kernel counts it (Linux /proc). */
final class Memory {

  private Memory() {}

  /** Resident set size now, in KiB. */
  static long rssKib(long pid) {
    return field(pid, "VmRSS:");
  }

  /** The largest resident set size the process has had, in KiB. */
  static long peakKib(long pid) {
    return field(pid, "VmHWM:");
  }

  private static long field(long pid, String name) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
          .filter(line -> line.startsWith(name))
          .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(name + " not in /proc/" + pid + "/status"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The JVM's native memory summary (jcmd VM.native_memory, the process started with
   * -XX:NativeMemoryTracking=summary), written to target/bench/NAME.nmt: committed KiB by category
   * ("Java Heap", "Class", "Metaspace", "Code", "Thread", "GC", "Symbol", ...), in its order.
   */
  static Map<String, Long> nativeSummary(long pid, String name) {
    Map<String, Long> committed = new LinkedHashMap<>();
    Matcher line = CATEGORY.matcher(jcmd(pid, name + ".nmt", "VM.native_memory", "summary"));
    while (line.find()) {
      committed.put(line.group(1).trim(), Long.parseLong(line.group(2)));
    }
    return committed;
  }

  /**
   * The live heap: a class histogram (jcmd GC.class_histogram, which runs a full GC first) written
   * to target/bench/NAME.histo; returns the KiB its objects take.
   */
  static long liveHeapKib(long pid, String name) {
    Matcher total =
        Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)")
            .matcher(jcmd(pid, name + ".histo", "GC.class_histogram"));
    if (!total.find()) {
      throw new IllegalStateException("no total in target/bench/" + name + ".histo");
    }
    return Long.parseLong(total.group(1)) / 1024;
  }

  /** Runs {@code jcmd PID COMMAND...} (at most 60 s), keeps its answer in target/bench/FILE. */
  private static String jcmd(long pid, String file, String... command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Path out = Path.of("target", "bench", file);
    List<String> line = new java.util.ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
    line.addAll(List.of(command));
    try {
      Files.createDirectories(out.getParent());
      Process process =
          new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("jcmd " + String.join(" ", command) + " took over 60 s");
      }
      return Files.readString(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The columns of {@link #tableRow} after the caller's own, and its rule. */
  static final String TABLE_HEADER =
      "| RSS | heap | classes | code | threads | GC | symbols | other | committed in all |"
          + " live heap after a full GC |";

  static final String TABLE_RULE = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

  /**
   * A row of the native memory table in MiB, after the caller's leading cells: the RSS, what the
   * JVM has committed by what holds it (classes: metaspace, class space and the CDS/AOT archive),
   * and the live heap.
   */
  static String tableRow(
      String leading, long rssKib, Map<String, Long> committedKib, long liveHeapKib) {
    long total = committedKib.values().stream().mapToLong(Long::longValue).sum();
    List<List<String>> groups =
        List.of(
            List.of("Java Heap"),
            List.of("Class", "Metaspace", "Shared class space"),
            List.of("Code"),
            List.of("Thread"),
            List.of("GC", "GCCardSet"),
            List.of("Symbol"));
    StringBuilder row =
        new StringBuilder(String.format("| %s | %d", leading, Math.round(rssKib / 1024.0)));
    long grouped = 0;
    for (List<String> group : groups) {
      long kib = group.stream().mapToLong(c -> committedKib.getOrDefault(c, 0L)).sum();
      grouped += kib;
      row.append(String.format(" | %.0f", kib / 1024.0));
    }
    row.append(
        String.format(
            " | %.0f | %.0f | %.0f |",
            (total - grouped) / 1024.0, total / 1024.0, liveHeapKib / 1024.0));
    return row.toString();
  }

  private static final Pattern CATEGORY =
      Pattern.compile("(?m)^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB");
}
