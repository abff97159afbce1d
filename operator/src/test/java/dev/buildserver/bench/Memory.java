package dev.buildserver.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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

  /** Writes the JVM's native memory summary (jcmd VM.native_memory) to target/bench/NAME.nmt. */
  static void nativeSummary(long pid, String name) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process process =
          new ProcessBuilder(jcmd.toString(), Long.toString(pid), "VM.native_memory", "summary")
              .redirectErrorStream(true)
              .redirectOutput(Path.of("target", "bench", name + ".nmt").toFile())
              .start();
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
