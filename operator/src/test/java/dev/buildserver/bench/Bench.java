package dev.buildserver.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where benchmarks leave their results: target/bench/NAME.md (a section of docs/benchmarks.md) and
 * target/bench/NAME.json (the figures, for the charts). hack/bench-report.sh puts them together.
 */
final class Bench {

  private Bench() {}

  static void write(String name, List<String> markdown, String json) throws IOException {
    Path dir = Path.of("target", "bench");
    Files.createDirectories(dir);
    Files.write(dir.resolve(name + ".md"), markdown);
    if (json != null) {
      Files.writeString(dir.resolve(name + ".json"), json + "\n");
    }
    markdown.forEach(System.out::println);
  }
}
