package dev.buildserver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.asset.BuildAssetSource;
import dev.buildserver.asset.BuildAssetSpec;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.PrometheusText;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How fast the operator converges and what it holds, against floors measured in the same run. For
 * each size (system property bench.sizes, default 100,1000,10000):
 *
 * <ul>
 *   <li>the floors ({@link Floor}): a plain client in 16 threads doing every write an asset cannot
 *       do without (create, patch, conditional PutObject, patch), and the older API-server-only
 *       floor (the same without the S3 write);
 *   <li>operator: {@code builder operator} as its own process on each JDK of bench.jdks ({@link
 *       Runtimes}) with the chart's JVM options under the chart's memory limit; 16 threads create
 *       the same count of 1 KiB inline assets, timed from the first create until every one is Ready
 *       (read from the API server);
 *   <li>RSS of the operator process then (VmRSS, and its peak VmHWM); with -Dbench.nmt=true the
 *       JVM's native memory summary at the largest size.
 * </ul>
 *
 * At the largest size the operator (the first JDK) is then restarted: the time until every asset
 * was reconciled again, and the S3 writes and status writes that restart caused (none are needed).
 */
@Tag("bench")
class ConvergenceBench {

  private static final int THREADS = 16;
  private static final String CONTENT = "x".repeat(1024);

  /** 1 KiB of inline content, different for each asset (as builds' artifacts are). */
  private static String content(String name) {
    return (name + "-").repeat(1024 / (name.length() + 1) + 1).substring(0, 1024);
  }

  private static final Duration LIMIT = Duration.ofMinutes(20);

  private final KubernetesClient client = KubeApi.get().client();
  private final List<String> rows = new ArrayList<>();
  private final List<String> json = new ArrayList<>();
  private final List<String> memory = new ArrayList<>();

  @Test
  void convergesNearTheFloor() throws Exception {
    MotoServer.get().reset();
    List<Integer> sizes =
        Arrays.stream(System.getProperty("bench.sizes", "100,1000,10000").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    List<Runtimes.Runtime> runtimes = Runtimes.all();
    Floor floors = new Floor(ConvergenceBench::asset, CONTENT);
    rows.add(
        "| BuildAssets | JDK | full floor | operator: first create → all Ready | ratio to the full"
            + " floor | API server floor, ratio | assets/s | RSS when Ready | peak RSS |");
    rows.add("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    String restart = "";
    for (int size : sizes) {
      // -Dbench.floors=false: the operator alone, to try JVM options (-Dbench.jvm.extra) quickly
      boolean measureFloors = !"false".equals(System.getProperty("bench.floors"));
      double full = measureFloors ? floors.full(size) : Double.NaN;
      double apiServer = measureFloors ? floors.apiServerOnly(size) : Double.NaN;
      for (Runtimes.Runtime runtime : runtimes) {
        String name = "bench-operator-" + runtime.id() + "-" + size;
        String namespace = KubeApi.get().newNamespace("bench-" + runtime.id() + "-" + size);
        try (BuilderProcess operator = startOperator(namespace, runtime, name, Map.of())) {
          long start = System.nanoTime();
          createAssets(namespace, size);
          awaitAllReady(namespace, size, List.of(operator));
          double seconds = (System.nanoTime() - start) / 1e9;
          long rss = Memory.rssKib(operator.process().pid());
          if (Boolean.getBoolean("bench.nmt") && size == sizes.get(sizes.size() - 1)) {
            long pid = operator.process().pid();
            memory.add(
                Memory.tableRow(
                    String.format("%,d | %s", size, runtime.label()),
                    rss,
                    Memory.nativeSummary(pid, name),
                    Memory.liveHeapKib(pid, name))); // after RSS: its full GC changes the heap
          }
          long peak = Memory.peakKib(operator.process().pid());
          rows.add(
              String.format(
                  "| %,d | %s | %.1f s | %.1f s | %.2f× | %.1f s, %.2f× | %.0f | %d MiB | %d MiB |",
                  size,
                  runtime.label(),
                  full,
                  seconds,
                  seconds / full,
                  apiServer,
                  seconds / apiServer,
                  size / seconds,
                  rss / 1024,
                  peak / 1024));
          json.add(
              String.format(
                  "{\"size\": %d, \"jdk\": %d, \"floorSeconds\": %.3f,"
                      + " \"apiServerFloorSeconds\": %.3f, \"operatorSeconds\": %.3f,"
                      + " \"rssMiB\": %.1f, \"peakRssMiB\": %.1f}",
                  size, runtime.major(), full, apiServer, seconds, rss / 1024.0, peak / 1024.0));
          operator.process().destroy(); // SIGTERM: a graceful stop also writes a flight recording
          assertThat(operator.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
          if (size == sizes.get(sizes.size() - 1) && runtime == runtimes.get(0)) {
            restart = restart(namespace, size, runtime);
          }
        }
      }
    }
    List<String> report = new ArrayList<>();
    report.add("## Convergence and memory");
    report.add("");
    report.add(
        "Operator JVM options: the chart's `javaOptions` under its memory limit (`"
            + runtimes.get(0).describe()
            + "`, through bin/builder; a JDK older than 25 runs without compact headers and the AOT"
            + " cache). Each asset"
            + " is 1 KiB inline, created by "
            + THREADS
            + " client threads. The full floor is the same count of objects, each created, patched,"
            + " written to S3 once (a conditional PutObject of the same 1 KiB) and patched again by"
            + " a plain client with "
            + THREADS
            + " threads, in the same run; the API server floor leaves out the S3 write.");
    report.add("");
    report.addAll(rows);
    report.add("");
    report.add(restart);
    if (!memory.isEmpty()) {
      report.add("");
      report.add(
          "Where the RSS goes at the largest size: the JVM's native memory tracking (committed"
              + " MiB; -XX:NativeMemoryTracking=summary, whose own cost is in the RSS and under"
              + " 'other'). Classes: metaspace, class space and the mapped CDS/AOT archive.");
      report.add("");
      report.add("| BuildAssets | JDK " + Memory.TABLE_HEADER);
      report.add("|---:|---" + Memory.TABLE_RULE);
      report.addAll(memory);
    }
    Bench.write("convergence", report, "[" + String.join(",\n", json) + "]");
  }

  private void createAssets(String namespace, int size) throws Exception {
    parallel(size, i -> client.resource(asset(namespace, "asset-" + i)).create());
  }

  private static final String SHARD_LABEL = "buildserver.dev/shard";

  /**
   * Scale-out by label selector: the same count of assets served by one process, then by three (the
   * main one and shards a and b, a third each), every process with the chart's JVM options: time to
   * all Ready and the RSS of each process.
   */
  @Test
  void shardsSplitTheWorkAndTheMemory() throws Exception {
    MotoServer.get().reset();
    int size = Integer.getInteger("bench.shard.size", 10_000);
    Runtimes.Runtime runtime = Runtimes.all().get(0);
    List<String> table = new ArrayList<>();
    List<String> figures = new ArrayList<>();
    table.add(
        "| processes | first create → all Ready | assets/s | RSS of each process when Ready |");
    table.add("|---:|---:|---:|---|");
    for (List<String> shards : List.of(List.of(""), List.of("main", "a", "b"))) {
      String namespace = KubeApi.get().newNamespace("shards-" + shards.size());
      List<BuilderProcess> processes = new ArrayList<>();
      try {
        for (String shard : shards) {
          Map<String, String> env =
              shard.isEmpty()
                  ? Map.of()
                  : Map.of(
                      "BUILDSERVER_OPERATOR_LABEL_SELECTOR",
                      shard.equals("main") ? "!" + SHARD_LABEL : SHARD_LABEL + "=" + shard);
          processes.add(
              startOperator(namespace, runtime, "bench-shard-" + shards.size() + "-" + shard, env));
        }
        long start = System.nanoTime();
        parallel(
            size,
            i -> {
              BuildAsset asset = asset(namespace, "asset-" + i);
              String shard = shards.get(i % shards.size());
              if (!shard.isEmpty() && !shard.equals("main")) {
                asset.getMetadata().setLabels(Map.of(SHARD_LABEL, shard));
              }
              client.resource(asset).create();
            });
        awaitAllReady(namespace, size, processes);
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Long> rss =
            processes.stream().map(p -> Memory.rssKib(p.process().pid()) / 1024).toList();
        table.add(
            String.format(
                "| %d | %.1f s | %.0f | %s MiB |",
                shards.size(),
                seconds,
                size / seconds,
                rss.stream().map(String::valueOf).collect(Collectors.joining(" / "))));
        figures.add(
            String.format(
                "{\"processes\": %d, \"size\": %d, \"seconds\": %.3f, \"rssMiB\": %s}",
                shards.size(), size, seconds, rss));
      } finally {
        processes.forEach(BuilderProcess::close);
      }
    }
    List<String> report = new ArrayList<>();
    report.add("## Scale-out by shard");
    report.add("");
    report.add(
        String.format(
            "%,d BuildAssets (1 KiB inline, %d client threads) served by one operator process,"
                + " then by three (`!%s`, `%s=a`, `%s=b`, a third of the assets each), each process"
                + " on %s with the chart's JVM options, all on this one machine with the API"
                + " server.",
            size, THREADS, SHARD_LABEL, SHARD_LABEL, SHARD_LABEL, runtime.label()));
    report.add("");
    report.addAll(table);
    Bench.write("shards", report, "[" + String.join(",\n", figures) + "]");
  }

  /**
   * Waits until the operator processes together count every asset Ready (their
   * buildserver_resources gauges: cheap to poll, unlike listing thousands of objects, which would
   * load the API server being measured), then confirms with one list from the API server.
   */
  private void awaitAllReady(String namespace, int size, List<BuilderProcess> processes)
      throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    Map<String, String> readyAssets =
        Map.of("kind", "BuildAsset", "condition", "Ready", "status", "True");
    while (System.nanoTime() < deadline) {
      double ready = 0;
      for (BuilderProcess process : processes) {
        assertThat(process.process().isAlive()).as("every operator process is alive").isTrue();
        var scrape = process.get("/prometheus");
        ready +=
            scrape == null
                ? 0
                : new PrometheusText(scrape.body()).sum("buildserver_resources", readyAssets);
      }
      if (ready >= size && ready(namespace) == size) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(size + " assets were not all Ready within " + LIMIT);
  }

  static BuildAsset asset(String namespace, String name) {
    BuildAsset asset = new BuildAsset();
    asset.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    asset.setSpec(
        new BuildAssetSpec(
            "bench-" + namespace,
            "assets/" + name + ".txt",
            null,
            new BuildAssetSource(content(name), null, null, null, null, null),
            null,
            null,
            null,
            null,
            true,
            null,
            null,
            null));
    return asset;
  }

  private long ready(String namespace) {
    return client.resources(BuildAsset.class).inNamespace(namespace).list().getItems().stream()
        .filter(
            a ->
                a.getStatus() != null
                    && a.getStatus().getConditions() != null
                    && a.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
        .count();
  }

  /**
   * Restarts the operator over {@code size} Ready assets: how long until each was reconciled again,
   * and what that cost (S3 writes, status writes).
   */
  private String restart(String namespace, int size, Runtimes.Runtime runtime) throws Exception {
    Map<String, String> versions = new HashMap<>();
    client
        .resources(BuildAsset.class)
        .inNamespace(namespace)
        .list()
        .getItems()
        .forEach(
            a -> versions.put(a.getMetadata().getName(), a.getMetadata().getResourceVersion()));
    long start = System.nanoTime();
    try (BuilderProcess operator =
        startOperator(namespace, runtime, "bench-operator-restart", Map.of())) {
      long deadline = System.nanoTime() + LIMIT.toNanos();
      PrometheusText metrics = null;
      while (System.nanoTime() < deadline) {
        metrics = new PrometheusText(operator.get("/prometheus").body());
        if (metrics.sum("operator_sdk_reconciliations_success_total", Map.of("kind", "BuildAsset"))
            >= size) {
          break;
        }
        Thread.sleep(500);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long changed =
          client.resources(BuildAsset.class).inNamespace(namespace).list().getItems().stream()
              .filter(
                  a ->
                      !a.getMetadata()
                          .getResourceVersion()
                          .equals(versions.get(a.getMetadata().getName())))
              .count();
      double puts = metrics.sum("buildserver_aws_requests_total", Map.of("operation", "PutObject"));
      double heads =
          metrics.sum("buildserver_aws_requests_total", Map.of("operation", "HeadObject"));
      return String.format(
          "Restart over %,d Ready assets: every one reconciled again %.1f s after the process"
              + " started (JVM start included); %.0f S3 PutObject, %.0f HeadObject, %d assets"
              + " written to (status or metadata) by the restart.",
          size, seconds, puts, heads, changed);
    }
  }

  private BuilderProcess startOperator(
      String namespace, Runtimes.Runtime runtime, String name, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.putAll(extraEnv);
    env.put("KUBECONFIG", KubeApi.get().kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", namespace);
    env.put("BUILDSERVER_LOG_FORMAT", "text");
    System.getProperties().stringPropertyNames().stream() // -Dbench.env.NAME=value: operator env
        .filter(key -> key.startsWith("bench.env."))
        .forEach(key -> env.put(key.substring("bench.env.".length()), System.getProperty(key)));
    List<String> options = new ArrayList<>();
    String extra = System.getProperty("bench.jvm.extra", "").trim();
    if (!extra.isEmpty()) {
      options.addAll(List.of(extra.split("\\s+")));
    }
    if (Boolean.getBoolean("bench.nmt")) {
      options.add("-XX:NativeMemoryTracking=summary");
    }
    if (Boolean.getBoolean("bench.jfr")) { // -Dbench.jfr=true: a flight recording per process
      options.add(
          "-XX:StartFlightRecording=settings=profile,filename="
              + Path.of("target", "bench", name + ".jfr").toAbsolutePath());
    }
    return runtime.launch(name, env, options, "operator").awaitReady();
  }

  static void parallel(int count, IntConsumer work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int index = i;
        done.add(pool.submit(() -> work.accept(index)));
      }
      for (Future<?> f : done) {
        f.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
