package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.PrometheusText;
import dev.buildserver.testing.RepoFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hostile ledger cannot take the operator down for every tenant: under the Helm chart's JVM
 * options (a 160 MiB heap that exits on OutOfMemoryError), one process reads 9 pages of 9.5 MiB
 * (what buffered pages held whole until the read ended: more than the heap) and 2,000 pages of 1
 * MiB, while other tenants' BuildAssets keep converging. Readiness and the heap are sampled
 * throughout; the heap figures go to {@code target/ledger-memory.txt}.
 */
class HostileLedgerMemoryE2ETest {

  private static final int BIG_PAGES = 9;
  private static final int BIG_PAGE_BYTES = 9_500 * 1024;
  private static final int MANY_PAGES = 2_000;
  private static final int MANY_PAGE_BYTES = 1024 * 1024;

  private static Cluster cluster;
  private static BuilderProcess operator;
  private static HttpServer ledger;
  private static final AtomicLong bytesServed = new AtomicLong();
  private static byte[] bigTransactions;
  private static int bigCount;

  @BeforeAll
  static void start() throws IOException {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("hostile-ledger"));
    bigPage();
    ledger = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ledger.createContext("/", HostileLedgerMemoryE2ETest::serve);
    ledger.setExecutor(Executors.newFixedThreadPool(16));
    ledger.start();
    Map<String, String> env =
        Map.of(
            "KUBECONFIG", api.kubeconfig().toString(),
            "BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString(),
            "AWS_ACCESS_KEY_ID", "testing",
            "AWS_SECRET_ACCESS_KEY", "testing",
            "AWS_REGION", "us-east-1",
            "BUILDSERVER_OPERATOR_WATCH_NAMESPACES", cluster.namespace(),
            "BUILDSERVER_OUTBOUND_ALLOW_HOSTS", "127.0.0.1",
            "BUILDSERVER_API_TOKEN", "hostile-ledger-token");
    operator =
        BuilderProcess.start(
                "hostile-ledger-operator",
                BuilderProcess.freePort(),
                env,
                RepoFiles.chartJvmOptions(),
                "operator")
            .awaitReady();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (ledger != null) {
      ledger.stop(0);
    }
  }

  @Test
  void hugeAndEndlessLedgersLeaveTheProcessUpAndTheOtherTenantsConverging() throws Exception {
    AtomicBoolean sampling = new AtomicBoolean(true);
    List<Integer> readiness = new ArrayList<>();
    ConcurrentLinkedQueue<Long> heap = new ConcurrentLinkedQueue<>();
    Thread sampler =
        new Thread(
            () -> {
              while (sampling.get()) {
                HttpResponse<String> ready = operator.get("/health/readiness");
                synchronized (readiness) {
                  readiness.add(ready == null ? -1 : ready.statusCode());
                }
                HttpResponse<String> metrics = operator.get("/prometheus");
                if (metrics != null && metrics.statusCode() == 200) {
                  heap.add(heapUsed(metrics.body()));
                }
                sleep(250);
              }
            },
            "sampler");
    sampler.setDaemon(true);
    sampler.start();

    String base = "http://127.0.0.1:" + ledger.getAddress().getPort();
    BalanceReport big = report("big", base + "/big/{page}.json");
    BalanceReport many = report("many", base + "/many/{page}.json");
    List<BuildAsset> others = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      others.add(
          cluster.create(
              BuildAsset.class,
              """
              metadata: {name: tenant-%d}
              spec: {bucket: hostile-ledger-others, key: a-%d.txt, createBucket: true, source: {inline: "asset %d"}}
              """
                  .formatted(i, i, i)));
    }

    try {
      BalanceReport bigDone = cluster.awaitReason(big, "Ready", "Synced", Duration.ofMinutes(3));
      assertThat(bigDone.getStatus().getTransactionCount()).isEqualTo((long) bigCount * BIG_PAGES);
      assertThat(bigDone.getStatus().getPageCount()).isEqualTo(BIG_PAGES);
      BalanceReport manyDone = cluster.awaitReason(many, "Ready", "Synced", Duration.ofMinutes(4));
      assertThat(manyDone.getStatus().getPageCount()).isEqualTo(MANY_PAGES);
      assertThat(manyDone.getStatus().getTransactionCount()).isEqualTo(MANY_PAGES);
      others.forEach(asset -> cluster.awaitReady(asset, "Uploaded"));
    } finally {
      sampling.set(false);
      sampler.join(5_000);
    }

    assertThat(operator.process().isAlive()).as("the operator process stayed up").isTrue();
    synchronized (readiness) {
      assertThat(readiness).isNotEmpty().allMatch(code -> code == 200);
    }
    long most = heap.stream().mapToLong(Long::longValue).max().orElseThrow();
    String figures =
        String.format(
            "hostile ledgers under the chart's JVM options (%s): %d MiB served, %d samples,"
                + " heap used at most %d MiB, readiness 200 in all %d samples%n",
            String.join(" ", RepoFiles.chartJvmOptions()),
            bytesServed.get() >> 20,
            heap.size(),
            most >> 20,
            readiness.size());
    System.out.print(figures);
    Files.writeString(Path.of("target", "ledger-memory.txt"), figures);
  }

  private static BalanceReport report(String name, String url) {
    return cluster.create(
        BalanceReport.class,
        "metadata: {name: %s}\nspec: {ledger: {url: \"%s\"}}".formatted(name, url));
  }

  /** The transactions of one 9.5 MiB page: realistic ones, as many as fit. */
  private static void bigPage() {
    StringBuilder json = new StringBuilder(BIG_PAGE_BYTES + 1024);
    int count = 0;
    while (json.length() < BIG_PAGE_BYTES - 200) {
      if (count > 0) {
        json.append(',');
      }
      json.append("{\"Date\":\"2014-")
          .append(String.format("%02d-%02d", 1 + count % 12, 1 + count % 28))
          .append("\",\"Ledger\":\"Ledger ")
          .append(count % 40)
          .append("\",\"Amount\":\"-")
          .append(count % 1000)
          .append('.')
          .append(String.format("%02d", count % 100))
          .append("\",\"Company\":\"SOME COMPANY NAME OF A FAIR LENGTH ")
          .append(count)
          .append("\"}");
      count++;
    }
    bigTransactions = json.toString().getBytes(StandardCharsets.UTF_8);
    bigCount = count;
  }

  private static void serve(HttpExchange exchange) throws IOException {
    Matcher page =
        Pattern.compile("^/(big|many)/(\\d+)\\.json$").matcher(exchange.getRequestURI().getPath());
    if (!page.matches()) {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    int n = Integer.parseInt(page.group(2));
    boolean big = page.group(1).equals("big");
    if (n > (big ? BIG_PAGES : MANY_PAGES)) {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0); // chunked: the length is not announced
    try (OutputStream out = exchange.getResponseBody()) {
      if (big) {
        write(out, "{\"totalCount\":" + (long) bigCount * BIG_PAGES + ",\"page\":" + n);
        write(out, ",\"transactions\":[");
        out.write(bigTransactions);
        bytesServed.addAndGet(bigTransactions.length);
        write(out, "]}");
      } else {
        // One transaction and about 1 MiB of what a ledger page does not need, in short strings.
        write(out, "{\"totalCount\":" + MANY_PAGES + ",\"page\":" + n + ",\"transactions\":[");
        write(
            out,
            "{\"Date\":\"2015-01-01\",\"Ledger\":\"L\",\"Amount\":\"1."
                + String.format("%02d", n % 100)
                + "\",\"Company\":\"C\"}],\"padding\":[");
        byte[] chunk = ("\"" + "p".repeat(1000) + "\",").getBytes(StandardCharsets.UTF_8);
        for (int written = 0; written < MANY_PAGE_BYTES; written += chunk.length) {
          out.write(chunk);
          bytesServed.addAndGet(chunk.length);
        }
        write(out, "\"end\"]}");
      }
    } catch (IOException e) {
      // the operator stopped reading (a refused page): nothing more to send
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.write(bytes);
    bytesServed.addAndGet(bytes.length);
  }

  private static long heapUsed(String metrics) {
    return (long) new PrometheusText(metrics).sum("jvm_memory_used_bytes", Map.of("area", "heap"));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
