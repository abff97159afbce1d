package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.PrometheusText;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Inline content at its limit does not take the operator down: under the Helm chart's JVM options
 * (a 160 MiB heap that exits on OutOfMemoryError), one process serves 40 BuildAssets created at
 * once, each with 65536 different characters above U+00FF (2 bytes a character in the informer
 * cache, 3 in UTF-8): all become Ready, the process stays alive, live and ready as the chart's
 * probes see it, a restarted process lists them all again and stays up, and every object in S3
 * holds the UTF-8 of its spec. Readiness and the heap are sampled every 250 ms; the figures go to
 * {@code target/inline-memory.txt}.
 */
class InlineMemoryE2ETest {

  private static final int ASSETS = 40;
  private static final String BUCKET = "inline-memory";
  private static final Duration ALL_READY_WITHIN = Duration.ofMinutes(4);

  private static KubernetesClient k8s;
  private static String namespace;
  private static Map<String, String> env;
  private static S3Client s3;
  private static BuilderProcess operator;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    k8s = api.client();
    namespace = api.newNamespace("inline-memory");
    env =
        Map.of(
            "KUBECONFIG", api.kubeconfig().toString(),
            "BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString(),
            "AWS_ACCESS_KEY_ID", "testing",
            "AWS_SECRET_ACCESS_KEY", "testing",
            "AWS_REGION", "us-east-1",
            "BUILDSERVER_OPERATOR_WATCH_NAMESPACES", namespace,
            "BUILDSERVER_API_TOKEN", "inline-memory-token");
    s3 =
        S3Client.builder()
            .endpointOverride(MotoServer.get().endpoint())
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
            .build();
    s3.createBucket(b -> b.bucket(BUCKET));
    operator = startOperator("inline-memory-operator");
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void fortyAssetsAtTheLimitBecomeReadyUnderTheChartsHeapAndSurviveARestart() throws Exception {
    Sampler converging = Sampler.start(operator);
    try {
      createAllAtOnce();
      awaitAllReady(operator);
      Thread.sleep(5_000); // a dip that ends here is measured whole
    } finally {
      converging.stop();
    }
    assertThat(operator.process().isAlive()).as("the operator process stayed up").isTrue();
    converging.assertLiveAndReady("while they converged");

    for (int i = 0; i < ASSETS; i++) {
      String key = key(i);
      byte[] stored = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
      assertThat(stored)
          .as("s3://%s/%s", BUCKET, key)
          .isEqualTo(content(i).getBytes(StandardCharsets.UTF_8));
    }

    // The first list after a restart holds every spec at once: it must fit too.
    operator.close();
    operator = startOperator("inline-memory-operator-restarted");
    Sampler restarted = Sampler.start(operator);
    try {
      awaitAllReady(operator);
      Thread.sleep(5_000); // the reconciles the first list starts, and their status checks
    } finally {
      restarted.stop();
    }
    assertThat(operator.process().isAlive()).as("the restarted process stayed up").isTrue();
    restarted.assertLiveAndReady("after the restart");

    String figures =
        String.format(
            "%d BuildAssets of %d characters above U+00FF created at once, under the chart's JVM"
                + " options (%s)%n  converging: %s%n  after a restart: %s%n",
            ASSETS,
            BuildAssetSource.MAX_INLINE,
            String.join(" ", RepoFiles.chartJvmOptions()),
            converging.summary(),
            restarted.summary());
    System.out.print(figures);
    Files.writeString(Path.of("target", "inline-memory.txt"), figures);
  }

  private static BuilderProcess startOperator(String name) {
    return BuilderProcess.start(
            name, BuilderProcess.freePort(), env, RepoFiles.chartJvmOptions(), "operator")
        .awaitReady();
  }

  /** Creates every asset from its own thread, so that they arrive together. */
  private static void createAllAtOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(ASSETS);
    try {
      List<Future<?>> creations = new ArrayList<>();
      for (int i = 0; i < ASSETS; i++) {
        int n = i;
        creations.add(pool.submit(() -> k8s.resource(asset(n)).create()));
      }
      for (Future<?> creation : creations) {
        creation.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void awaitAllReady(BuilderProcess process) {
    await()
        .atMost(ALL_READY_WITHIN)
        .pollInterval(Duration.ofSeconds(1))
        .failFast("the operator process exited; see its log", () -> !process.process().isAlive())
        .until(() -> IntStream.range(0, ASSETS).allMatch(InlineMemoryE2ETest::isReady));
  }

  private static boolean isReady(int i) {
    BuildAsset asset =
        k8s.resources(BuildAsset.class).inNamespace(namespace).withName(name(i)).get();
    return asset != null
        && Resources.condition(asset, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static BuildAsset asset(int i) {
    return Serialization.jsonMapper()
        .convertValue(
            Map.of(
                "apiVersion",
                "buildserver.dev/v1alpha1",
                "kind",
                "BuildAsset",
                "metadata",
                Map.of("name", name(i), "namespace", namespace),
                "spec",
                Map.of("bucket", BUCKET, "key", key(i), "source", Map.of("inline", content(i)))),
            BuildAsset.class);
  }

  /**
   * 65536 CJK characters (U+4E00 to U+9FFF), different for every asset: above U+00FF, so a cached
   * copy takes 2 bytes a character, and none of them escaped in JSON.
   */
  private static String content(int i) {
    Random random = new Random(1_000 + i);
    StringBuilder text = new StringBuilder(BuildAssetSource.MAX_INLINE);
    for (int c = 0; c < BuildAssetSource.MAX_INLINE; c++) {
      text.append((char) (0x4E00 + random.nextInt(0x9FFF - 0x4E00 + 1)));
    }
    return text.toString();
  }

  private static String name(int i) {
    return "at-limit-" + i;
  }

  private static String key(int i) {
    return "at-limit/" + i + ".txt";
  }

  /** One probe answer: when, and the status code (-1 when nothing answered in 5 s). */
  private record Probe(long nanos, int code) {}

  /** Samples liveness, readiness and the heap in use every 250 ms, until stopped. */
  private static final class Sampler {
    private final List<Probe> readiness = new ArrayList<>();
    private final List<Integer> liveness = new ArrayList<>();
    private final List<Long> heap = new ArrayList<>();
    private final List<String> why = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;
    private long stoppedAt;

    static Sampler start(BuilderProcess process) {
      Sampler sampler = new Sampler();
      sampler.thread = new Thread(() -> sampler.run(process), "inline-memory-sampler");
      sampler.thread.setDaemon(true);
      sampler.thread.start();
      return sampler;
    }

    private void run(BuilderProcess process) {
      while (running.get()) {
        HttpResponse<String> ready = process.get("/health/readiness");
        HttpResponse<String> live = process.get("/health/liveness");
        HttpResponse<String> metrics = process.get("/prometheus");
        synchronized (this) {
          int code = ready == null ? -1 : ready.statusCode();
          readiness.add(new Probe(System.nanoTime(), code));
          if (code != 200 && why.size() < 3) {
            why.add(ready == null ? "no answer" : ready.body());
          }
          liveness.add(live == null ? -1 : live.statusCode());
          if (metrics != null && metrics.statusCode() == 200) {
            heap.add(heapUsed(metrics.body()));
          }
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(20_000);
      synchronized (this) {
        stoppedAt = System.nanoTime();
      }
    }

    synchronized void assertLiveAndReady(String when) {
      assertThat(readiness).as("readiness samples " + when).isNotEmpty();
      assertThat(liveness).as("liveness " + when).allMatch(code -> code == 200);
      assertThat(dips())
          .as("readiness failures %s (the longest %s; it said %s)", when, longestDip(), why)
          .isZero();
    }

    /** The longest stretch from a failed readiness answer to the next good one. */
    private Duration longestDip() {
      long longest = 0;
      Long failingSince = null;
      for (Probe probe : readiness) {
        if (probe.code() != 200 && failingSince == null) {
          failingSince = probe.nanos();
        } else if (probe.code() == 200 && failingSince != null) {
          longest = Math.max(longest, probe.nanos() - failingSince);
          failingSince = null;
        }
      }
      if (failingSince != null) {
        longest = Math.max(longest, stoppedAt - failingSince); // still failing when stopped
      }
      return Duration.ofNanos(longest);
    }

    private long dips() {
      return readiness.stream().filter(p -> p.code() != 200).count();
    }

    synchronized String summary() {
      long most = heap.stream().mapToLong(Long::longValue).max().orElse(0);
      return String.format(
          "heap used at most %d MiB; readiness failed in %d of %d samples, for %d ms at the"
              + " longest; liveness 200 in all %d samples",
          most >> 20, dips(), readiness.size(), longestDip().toMillis(), liveness.size());
    }

    private static long heapUsed(String metrics) {
      return (long)
          new PrometheusText(metrics).sum("jvm_memory_used_bytes", Map.of("area", "heap"));
    }
  }
}
