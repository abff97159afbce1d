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
 * Start-up as users feel it, each the median of 5 runs, for each JDK of bench.jdks ({@link
 * Runtimes}): the operator through bin/builder (the image's entrypoint) with the chart's JVM
 * options in JAVA_OPTS, from process start until /health/readiness answers 200 against the real API
 * server; the same as {@code make run} starts it (no options); {@code builder --version} and {@code
 * builder balance} over the sample ledger. On Java 25 each also without the AOT cache
 * (BUILDER_AOT=off), in the same run.
 */
@Tag("bench")
class StartupBench {

  private static final int RUNS = 5;

  private final List<String> rows = new ArrayList<>();
  private final List<String> json = new ArrayList<>();

  @Test
  void startsQuickly() throws Exception {
    String chartOptions = String.join(" ", RepoFiles.chartJvmOptions());
    rows.add("| what | JDK, AOT cache | median | min | max | goal |");
    rows.add("|---|---|---:|---:|---:|---:|");
    try (LedgerServer ledger =
        LedgerServer.start().serveFiles(RepoFiles.examples().resolve("ledger/transactions"))) {
      for (Runtimes.Runtime runtime : Runtimes.all()) {
        for (boolean cache : runtime.major() >= 25 ? List.of(true, false) : List.of(false)) {
          Map<String, String> env = new HashMap<>(runtime.environment(List.of()));
          env.remove("JAVA_OPTS");
          env.put("BUILDER_AOT", cache ? "on" : "off");
          Map<String, String> image = new HashMap<>(env);
          image.put("JAVA_OPTS", chartOptions);
          String label =
              runtime.label() + (runtime.major() >= 25 ? (cache ? ", yes" : ", no") : "");
          double[] asImage = new double[RUNS];
          double[] asMakeRun = new double[RUNS];
          double[] version = new double[RUNS];
          double[] balance = new double[RUNS];
          for (int i = 0; i < RUNS; i++) {
            asImage[i] = untilReady(image);
            asMakeRun[i] = untilReady(env);
            version[i] = run(env, "--version");
            balance[i] = run(env, "balance", "--url", ledger.urlTemplate());
          }
          rows.add(
              row(
                  "operator as the image and the chart start it: process start →"
                      + " /health/readiness 200",
                  label,
                  asImage,
                  "2 s"));
          rows.add(row("`bin/builder operator` (`make run`): the same", label, asMakeRun, "2 s"));
          rows.add(row("`builder --version`", label, version, "0.5 s"));
          rows.add(
              row("`builder balance` over the sample ledger (3 pages)", label, balance, "1 s"));
          json.add(
              String.format(
                  "{\"jdk\": %d, \"aotCache\": %s, \"operatorReadySeconds\": %.2f,"
                      + " \"makeRunReadySeconds\": %.2f, \"versionSeconds\": %.2f,"
                      + " \"balanceSeconds\": %.2f}",
                  runtime.major(),
                  cache,
                  median(asImage),
                  median(asMakeRun),
                  median(version),
                  median(balance)));
        }
      }
    }
    List<String> report = new ArrayList<>();
    report.add("## Start-up");
    report.add("");
    report.add(
        "Whole processes of the packaged jar through bin/builder, the image's entrypoint, median"
            + " (min–max) of "
            + RUNS
            + " runs. As the image and the chart start it: the chart's `javaOptions` in"
            + " JAVA_OPTS (`"
            + chartOptions
            + "`). On Java 25 bin/builder adds compact object headers and the AOT cache that"
            + " `make build` trains (hack/aot-cache.sh, which the image build runs on the image's"
            + " own JDK); `--version`, `--help` and `completion` start no application context.");
    report.add("");
    report.addAll(rows);
    Bench.write("startup", report, "[" + String.join(",\n", json) + "]");
  }

  private static double untilReady(Map<String, String> extraEnv) throws Exception {
    int port = BuilderProcess.freePort();
    List<String> command = new ArrayList<>(Runtimes.launcher());
    command.add("operator");
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

  private static double run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(Runtimes.launcher());
    command.addAll(List.of(args));
    Path out = Files.createTempFile("bench-cli", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    long start = System.nanoTime();
    Process process = builder.redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(process.exitValue()).as(Files.readString(out)).isZero();
    Files.delete(out);
    return seconds;
  }

  private static String row(String what, String jdk, double[] seconds, String goal) {
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    return String.format(
        "| %s | %s | %.2f s | %.2f s | %.2f s | %s |",
        what, jdk, median(seconds), sorted[0], sorted[sorted.length - 1], goal);
  }

  private static double median(double[] seconds) {
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
