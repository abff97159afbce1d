package dev.buildserver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.RepoFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JDKs {@code make bench} compares side by side (system property bench.jdks, a comma-separated
 * list of JDK homes; the first is the one the project runs on). Each runs the packaged jar
 * (-Dbuilder.jar) through bin/builder, the launcher the image uses, with the chart's JVM options:
 * on Java 25 that adds compact object headers and the AOT cache {@code make build} trains; older
 * JDKs run without either.
 */
final class Runtimes {

  /** One JDK: its label (e.g. "Java 25.0.3"), its java, its feature release. */
  record Runtime(String label, Path java, int major) {

    /**
     * {@code bin/builder <args>} on this JDK with the chart's JVM options and {@code extraOptions}
     * (native memory tracking, a flight recording), its environment added to {@code env}.
     */
    BuilderProcess launch(
        String name, Map<String, String> env, List<String> extraOptions, String... args) {
      Map<String, String> all = new HashMap<>(env);
      all.putAll(environment(extraOptions));
      List<String> command = new ArrayList<>(launcher());
      command.addAll(List.of(args));
      return BuilderProcess.launch(name, BuilderProcess.freePort(), all, command);
    }

    /** JAVA, BUILDER_JAR and JAVA_OPTS (the chart's javaOptions and the extra ones). */
    Map<String, String> environment(List<String> extraOptions) {
      List<String> options = new ArrayList<>(RepoFiles.chartJvmOptions());
      options.addAll(extraOptions);
      return Map.of(
          "JAVA", java.toString(),
          "BUILDER_JAR", jar().toString(),
          "JAVA_OPTS", String.join(" ", options));
    }

    /** The options the operator runs with, as bin/builder adds them, for the report. */
    String describe() {
      return String.join(" ", RepoFiles.chartJvmOptions())
          + (major >= 25 ? " -XX:+UseCompactObjectHeaders -XX:AOTCache=builder.aot" : "");
    }

    /** A file-name-safe form of the label: java25, java17. */
    String id() {
      return "java" + major;
    }
  }

  private Runtimes() {}

  static List<String> launcher() {
    return List.of(RepoFiles.repo().resolve("bin/builder").toString());
  }

  /** The packaged jar make bench passes (-Dbuilder.jar), with its AOT cache beside it. */
  static Path jar() {
    String jar = System.getProperty("builder.jar", "");
    assertThat(jar).as("make bench passes -Dbuilder.jar (the packaged jar)").isNotBlank();
    assertThat(Path.of(jar.replaceFirst("\\.jar$", ".aot")))
        .as("make build trains the AOT cache next to the jar")
        .exists();
    return Path.of(jar);
  }

  static List<Runtime> all() {
    String homes = System.getProperty("bench.jdks", "");
    if (homes.isBlank()) {
      return List.of(of(BuilderProcess.testJava().getParent().getParent()));
    }
    return Arrays.stream(homes.split(","))
        .map(String::trim)
        .filter(home -> !home.isEmpty())
        .map(home -> of(Path.of(home)))
        .toList();
  }

  private static Runtime of(Path home) {
    Path java = home.resolve("bin/java");
    assertThat(java).as("bench.jdks names a JDK home with bin/java").isExecutable();
    try {
      String release = Files.readString(home.resolve("release"));
      Matcher version = Pattern.compile("(?m)^JAVA_VERSION=\"([0-9.]+)").matcher(release);
      assertThat(version.find()).as(home + "/release names its JAVA_VERSION").isTrue();
      int major = Integer.parseInt(version.group(1).split("\\.")[0]);
      return new Runtime("Java " + version.group(1), java, major);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
