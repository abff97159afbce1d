package dev.buildserver.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.RepoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image's start, done here as the Dockerfile and the chart do it, short of the container: the
 * files laid out as the Dockerfile copies them (/app/bin/builder, /app/builder.jar), the AOT cache
 * trained by the Dockerfile's own RUN step with JAVA_HOME as the image sets it, then the operator
 * started by the chart's command with its JVM options in JAVA_OPTS against the real API server. The
 * JVM's own log must say the cache was used. What stays unproven here: that the
 * eclipse-temurin:25-jre image's JDK runs the same way (no image registry on this machine). Runs on
 * the packaged jar only (-Dbuilder.jar: the packaged-jar execution of make test).
 */
class ImageStartE2ETest {

  private static Path app;

  @BeforeAll
  static void trainTheCacheAsTheDockerfileDoes() throws Exception {
    assertThat(Runtime.version().feature())
        .as("make test runs on Java 25 (hack/jdk.sh), which the AOT cache needs")
        .isGreaterThanOrEqualTo(25);
    String dockerfile = Files.readString(RepoFiles.repo().resolve("Dockerfile"));
    assertThat(dockerfile)
        .contains("COPY bin/builder hack/aot-cache.sh /app/bin/")
        .contains("COPY operator/target/builder.jar /app/builder.jar")
        .contains("/app/bin/aot-cache.sh /app/builder.jar")
        .contains("ENV BUILDER_JAR=/app/builder.jar")
        .contains("ENTRYPOINT [\"/app/bin/builder\"]");
    String jar = System.getProperty("builder.jar", "");
    assertThat(jar).as("runs in the packaged-jar execution (-Dbuilder.jar)").isNotBlank();
    app = Files.createTempDirectory(Path.of("target"), "image-").resolve("app").toAbsolutePath();
    Files.createDirectories(app.resolve("bin"));
    for (String file : List.of("bin/builder", "hack/aot-cache.sh")) {
      Path target = app.resolve("bin").resolve(Path.of(file).getFileName());
      Files.copy(RepoFiles.repo().resolve(file), target, StandardCopyOption.COPY_ATTRIBUTES);
    }
    Files.copy(Path.of(jar), app.resolve("builder.jar"));
    ProcessBuilder train =
        new ProcessBuilder(
                app.resolve("bin/aot-cache.sh").toString(), app.resolve("builder.jar").toString())
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target", "image-aot-training.log").toFile());
    train.environment().putAll(imageEnvironment());
    Process process = train.start();
    assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("the training run ends").isTrue();
    assertThat(process.exitValue())
        .as(Files.readString(Path.of("target", "image-aot-training.log")))
        .isZero();
    assertThat(app.resolve("builder.aot")).isNotEmptyFile();
  }

  @Test
  void theOperatorStartsAsTheChartRunsItAndUsesTheCache() throws IOException {
    Map<String, String> env = new HashMap<>(imageEnvironment());
    env.putAll(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", KubeApi.get().kubeconfig().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", KubeApi.get().newNamespace("image"));
    Path aotLog = app.resolveSibling("aot.log");
    env.put(
        "JAVA_OPTS",
        String.join(" ", RepoFiles.chartJvmOptions()) + " -Xlog:aot=info:file=" + aotLog);
    try (BuilderProcess operator =
        BuilderProcess.launch(
                "image-operator",
                BuilderProcess.freePort(),
                env,
                List.of(app.resolve("bin/builder").toString(), "operator"))
            .awaitReady()) {
      assertThat(operator.log()).doesNotContain("Unable to use AOT cache");
      assertThat(Files.readString(aotLog))
          .contains("Opened AOT cache " + app.resolve("builder.aot"))
          .contains("Using AOT-linked classes: true")
          .doesNotContain("Unable to use AOT cache");
    }
  }

  @Test
  void aCacheThatDoesNotFitIsIgnoredAndKeptOutOfTheCommandsOutput() {
    Map<String, String> env = new HashMap<>(imageEnvironment());
    env.put("JAVA_OPTS", "-XX:-UseCompactObjectHeaders"); // the cache was trained with them on
    List<String> command = new ArrayList<>(List.of(app.resolve("bin/builder").toString()));
    command.add("--version");
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    BuilderProcess.Result result = BuilderProcess.run(builder);
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).startsWith("builder ").doesNotContain("AOT");
    assertThat(result.stderr()).contains("Unable to use AOT cache");
  }

  /** What the image's environment holds for the launcher: JAVA_HOME (no hack/jdk.sh there). */
  private static Map<String, String> imageEnvironment() {
    return Map.of(
        "JAVA_HOME",
        BuilderProcess.testJava().getParent().getParent().toString(),
        "BUILDER_JAR",
        app.resolve("builder.jar").toString());
  }
}
