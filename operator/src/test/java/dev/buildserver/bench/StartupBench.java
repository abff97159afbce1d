package dev.buildserver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.RepoFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Start-up as users feel it, each the median of 5 runs: the packaged jar as the operator (the
 * chart's JVM options) from process start until /health/readiness answers 200 against the real API
 * server, as the image runs it and through bin/builder with the class-data archive; {@code
 * bin/builder --version} and {@code bin/builder balance} over the sample ledger, each against plain
 * {@code java -jar} in the same run.
 */
@Tag("bench")
class StartupBench {

  private static final int RUNS = 5;

  @Test
  void startsQuickly() throws Exception {
    Path jar = RepoFiles.repo().resolve("operator/target/builder.jar");
    assertThat(jar).as("run make build (or mvn package) first").exists();
    List<String> jvm = ConvergenceBench.chartJvmOptions();
    Path launcher = RepoFiles.repo().resolve("bin/builder");
    List<String> plainOperator = new ArrayList<>(List.of(java()));
    plainOperator.addAll(jvm);
    plainOperator.addAll(List.of("-jar", jar.toString(), "operator"));
    double[] ready = new double[RUNS];
    double[] readyWithArchive = new double[RUNS];
    for (int i = 0; i < RUNS; i++) {
      ready[i] = untilReady(plainOperator, Map.of());
      readyWithArchive[i] =
          untilReady(
              List.of(launcher.toString(), "operator"), Map.of("JAVA_OPTS", String.join(" ", jvm)));
    }
    double[] version = new double[RUNS];
    double[] balance = new double[RUNS];
    double[] plainVersion = new double[RUNS];
    double[] plainBalance = new double[RUNS];
    List<String> plain = List.of(java(), "-jar", jar.toString());
    try (LedgerServer ledger =
        LedgerServer.start().serveFiles(RepoFiles.examples().resolve("ledger/transactions"))) {
      for (int i = 0; i < RUNS; i++) {
        version[i] = run(List.of(launcher.toString()), "--version");
        balance[i] = run(List.of(launcher.toString()), "balance", "--url", ledger.urlTemplate());
        plainVersion[i] = run(plain, "--version");
        plainBalance[i] = run(plain, "balance", "--url", ledger.urlTemplate());
      }
    }
    List<String> report = new ArrayList<>();
    report.add("## Start-up");
    report.add("");
    report.add("Whole processes of the packaged jar, median (min–max) of " + RUNS + " runs.");
    report.add("");
    report.add("| what | median | min | max | goal |");
    report.add("|---|---:|---:|---:|---:|");
    report.add(
        row(
            "`java -jar builder.jar operator` (the image): process start → /health/readiness 200",
            ready,
            "2 s"));
    report.add(
        row(
            "`bin/builder operator` (`make run`, with the class-data archive): the same",
            readyWithArchive,
            "2 s"));
    report.add(row("`bin/builder --version`", version, "1 s"));
    report.add(row("`bin/builder balance` over the sample ledger (3 pages)", balance, "1.5 s"));
    report.add(row("baseline: `java -jar builder.jar --version`", plainVersion, ""));
    report.add(row("baseline: `java -jar builder.jar balance …`", plainBalance, ""));
    report.add("");
    report.add(
        "`bin/builder` runs with the class-data archive `make build` records (hack/cds-archive.sh)"
            + " and C1 only; `--version`, `--help` and `completion` start no application context.");
    Bench.write(
        "startup",
        report,
        String.format(
            "{\"operatorReadySeconds\": %.3f, \"operatorReadyWithArchiveSeconds\": %.3f,"
                + " \"versionSeconds\": %.3f, \"balanceSeconds\": %.3f}",
            median(ready), median(readyWithArchive), median(version), median(balance)));
  }

  private static double untilReady(List<String> command, Map<String, String> extraEnv)
      throws Exception {
    int port = BuilderProcess.freePort();
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target", "bench-startup.log").toFile());
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", KubeApi.get().kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", KubeApi.get().newNamespace("startup"));
    env.put("MICRONAUT_SERVER_PORT", Integer.toString(port));
    env.putAll(extraEnv);
    builder.environment().putAll(env);
    var http = HttpClient.newHttpClient();
    var readiness =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/readiness"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long start = System.nanoTime();
    Process process = builder.start();
    try {
      long deadline = start + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(process.isAlive()).as("the operator process is alive").isTrue();
        try {
          if (http.send(readiness, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return (System.nanoTime() - start) / 1e9;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(20);
      }
      throw new AssertionError("the operator was not ready within 60 s");
    } finally {
      process.destroy();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static double run(List<String> launcher, String... args) throws Exception {
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(args));
    Path out = Files.createTempFile("bench-cli", ".txt");
    long start = System.nanoTime();
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(process.exitValue()).as(Files.readString(out)).isZero();
    Files.delete(out);
    return seconds;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String row(String what, double[] seconds, String goal) {
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    return String.format(
        "| %s | %.2f s | %.2f s | %.2f s | %s |",
        what, median(seconds), sorted[0], sorted[sorted.length - 1], goal);
  }

  private static double median(double[] seconds) {
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
