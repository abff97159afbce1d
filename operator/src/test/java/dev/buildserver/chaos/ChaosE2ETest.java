package dev.buildserver.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.ledger.Transaction;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.LogCapture;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.PrometheusText;
import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.api.model.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The reliability suite: the operator (its own JVM; the real jar under make chaos) on the stack of
 * make stack, through kill -9 loops, network faults (toxiproxy), AWS throttling, an API-server
 * restart and a faulty Kubernetes client. Every count of duplicates, leaks and losses is taken
 * through the EC2 and S3 APIs. {@code -Dchaos.size=full} is make chaos; the small size runs in make
 * test. Writes target/chaos/chaos.json for hack/chaos-report.py.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosE2ETest {

  private static final ChaosSize SIZE = ChaosSize.current();
  private static final String OPERATOR_KEY = "chaos-operator";
  private static final Random RANDOM = new Random(42);
  private static final String API_TOKEN = "api-" + hexToken();
  private static final String AWS_SECRET = "aws-" + hexToken();
  private static final String LEDGER_TOKEN = "ledger-" + hexToken();
  private static final String SECRET_CONTENT = "secret-content-" + hexToken();

  private static LocalStack stack;
  private static Toxiproxy toxiproxy;
  private static StaticHttpServer files;
  private static final List<LedgerServer> LEDGERS = new ArrayList<>();
  private static final List<Workload.Ledger> LEDGER_URLS = new ArrayList<>();
  private static AwsClients verifier;
  private static String filesBase;
  private static int motoProxy;
  private static final List<Workload> WORKLOADS = new ArrayList<>();
  private static final List<Path> LOGS = new ArrayList<>();
  private static final Map<String, Integer> FAULTS = new TreeMap<>();
  private static final Map<String, Object> FIGURES = new LinkedHashMap<>();
  private static final SecretScan SECRETS =
      new SecretScan()
          .add("the HTTP API token", API_TOKEN)
          .add("the AWS secret key", AWS_SECRET)
          .add("the ledger token", LEDGER_TOKEN)
          .add("the Secret-sourced content", SECRET_CONTENT);
  private static final List<Workload.Verdict> VERDICTS = new ArrayList<>();
  private static int kills;
  private static BuilderProcess operator;

  private static String hexToken() {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  @BeforeAll
  static void startStack() {
    stack = LocalStack.start("stack");
    toxiproxy = Toxiproxy.start(Path.of("target", "chaos", "toxiproxy.log").toAbsolutePath());
    motoProxy = toxiproxy.proxy("moto", stack.motoPort());
    files = StaticHttpServer.start();
    filesBase = "http://127.0.0.1:" + toxiproxy.proxy("files", port(files.url("/")));
    for (int i = 0; i < SIZE.reports(); i++) {
      List<Transaction> transactions = LedgerServer.transactions(35 + 9 * i, 100 + i);
      LedgerServer ledger = LedgerServer.start().publish(transactions, 10, true);
      if (i == 0) {
        ledger.requireToken(LEDGER_TOKEN);
      }
      LEDGERS.add(ledger);
      int listen = toxiproxy.proxy("ledger-" + i, port(ledger.urlTemplate()));
      LEDGER_URLS.add(
          new Workload.Ledger(
              "http://127.0.0.1:" + listen + "/ledger/{page}.json",
              transactions,
              i == 0 ? "ledger-token" : null));
    }
    MotoServer.useDummyCredentials(); // the verifier's key, which moto's front never faults
    AwsSettings aws = new AwsSettings();
    aws.setEndpoint(stack.motoEndpoint());
    verifier = new AwsClients(aws);
    for (String namespace : List.of("chaos-crash", "chaos-restart", "chaos-kube")) {
      Workload workload =
          new Workload(
              stack.client(),
              namespace,
              verifier.s3("us-east-1"),
              verifier.ec2("us-east-1"),
              namespace.hashCode());
      workload.secret("ledger-token", "token", LEDGER_TOKEN);
      workload.secret("asset-secret", "content", SECRET_CONTENT);
      WORKLOADS.add(workload);
    }
  }

  private static int port(String url) {
    return URI.create(url.replace("{page}", "1")).getPort();
  }

  @AfterAll
  static void stopStackAndWriteFigures() throws IOException {
    try {
      writeFigures();
    } finally {
      if (operator != null) {
        operator.close();
      }
      LEDGERS.forEach(LedgerServer::close);
      if (files != null) {
        files.close();
      }
      if (toxiproxy != null) {
        toxiproxy.close();
      }
      if (verifier != null) {
        verifier.close();
      }
      if (stack != null) {
        stack.close();
      }
    }
  }

  private static void writeFigures() throws IOException {
    FIGURES.put("size", SIZE.name());
    FIGURES.put("finishedAt", Instant.now().toString());
    FIGURES.put("faults", FAULTS);
    FIGURES.put("kills", kills);
    FIGURES.put("resources", WORKLOADS.stream().mapToInt(Workload::created).sum());
    FIGURES.put("deletedMidFlight", WORKLOADS.stream().mapToInt(Workload::deleted).sum());
    FIGURES.put("instancesLaunched", VERDICTS.stream().mapToInt(v -> v.instances).sum());
    FIGURES.put("objectsChecked", VERDICTS.stream().mapToInt(v -> v.objects).sum());
    FIGURES.put("duplicates", VERDICTS.stream().mapToInt(v -> v.duplicates).sum());
    FIGURES.put("leaks", VERDICTS.stream().mapToInt(v -> v.leaks).sum());
    FIGURES.put("losses", VERDICTS.stream().mapToInt(v -> v.losses).sum());
    FIGURES.put("foreignObjectsTouched", VERDICTS.stream().mapToInt(v -> v.foreignTouched).sum());
    FIGURES.put("wrongReports", VERDICTS.stream().mapToInt(v -> v.wrongReports).sum());
    FIGURES.put("secretSearches", SECRETS.searched());
    FIGURES.put("secretsFound", SECRETS.findings().size());
    Path out = Path.of("target", "chaos", "chaos.json");
    Files.createDirectories(out.getParent());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), FIGURES);
  }

  /** The operator as its own JVM on this stack, reaching moto and the ledgers through toxiproxy. */
  private static BuilderProcess startOperator() {
    Map<String, String> env = new HashMap<>();
    env.put("KUBECONFIG", stack.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", "http://127.0.0.1:" + motoProxy);
    env.put("AWS_ACCESS_KEY_ID", OPERATOR_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
    env.put("AWS_REGION", "us-east-1");
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", "chaos-crash,chaos-restart");
    env.put("BUILDSERVER_OUTBOUND_ALLOW_HOSTS", "127.0.0.1");
    env.put("BUILDSERVER_API_TOKEN", API_TOKEN);
    env.put("MICRONAUT_SERVER_HOST", "127.0.0.1");
    // What the SDK's event processing did, for the post-mortem of a run that did not converge.
    env.put("LOGGER_LEVELS_IO_JAVAOPERATORSDK_OPERATOR_PROCESSING_EVENT", "DEBUG");
    String name = "chaos/operator-" + LOGS.size();
    LOGS.add(Path.of("target", name + ".log"));
    return BuilderProcess.start(
        name, BuilderProcess.freePort(), env, List.of("-Xmx256m"), "operator");
  }

  private static void awaitConverged(Workload workload, Duration within) {
    AtomicReference<List<String>> pending = new AtomicReference<>(List.of());
    try {
      await()
          .atMost(within)
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> pending.updateAndGet(p -> workload.pending()).isEmpty());
    } catch (ConditionTimeoutException e) {
      dumpThreads(workload.namespace());
      throw new AssertionError(
          workload.namespace() + " did not converge within " + within + ": " + pending.get(), e);
    }
  }

  /** The operator's threads, for the post-mortem of a run that did not converge. */
  private static void dumpThreads(String name) {
    if (operator == null || !operator.process().isAlive()) {
      return;
    }
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Path out = Path.of("target", "chaos", "threads-" + name + ".txt");
    try {
      new ProcessBuilder(jcmd.toString(), Long.toString(operator.process().pid()), "Thread.print")
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Workload.Verdict verify(Workload workload) {
    Workload.Verdict verdict = workload.verify(SECRET_CONTENT);
    VERDICTS.add(verdict);
    assertThat(verdict.problems).as("counted through the EC2 and S3 APIs").isEmpty();
    assertThat(verdict.duplicates + verdict.leaks + verdict.losses + verdict.foreignTouched)
        .isZero();
    return verdict;
  }

  @Test
  @Order(1)
  void crashLoopUnderNetworkAndAwsFaultsLosesLeaksAndDuplicatesNothing() throws Exception {
    Workload workload = WORKLOADS.get(0);
    stack.awsFaults(0.2, OPERATOR_KEY);
    operator = startOperator();
    List<String> proxies = new ArrayList<>(List.of("moto", "files"));
    for (int i = 0; i < SIZE.reports(); i++) {
      proxies.add("ledger-" + i);
    }
    try (NetworkWeather weather = new NetworkWeather(toxiproxy, proxies)) {
      weather.start(2_500);
      workload.runs(SIZE.runs());
      workload.assets(SIZE.assets(), files, filesBase, "asset-secret");
      workload.reports(LEDGER_URLS);
      double awsFailuresCounted = 0;
      for (int kill = 1; kill <= SIZE.kills(); kill++) {
        operator.awaitReady();
        Thread.sleep(500 + RANDOM.nextInt(5_000)); // a random moment of its work
        awsFailuresCounted += awsFailuresCounted(operator);
        operator.process().destroyForcibly(); // SIGKILL: no shutdown hook, no lease release
        operator.process().waitFor();
        kills++;
        if (kill == 2) {
          workload.deleteAThird();
        }
        operator = startOperator();
      }
      operator.awaitReady(); // the last one: the work may be done before it is up
      awaitConverged(workload, SIZE.deadline());
      awsFailuresCounted += awsFailuresCounted(operator);
      weather.spells().forEach((kind, n) -> FAULTS.merge(kind, n, Integer::sum));
      // Every operator process saw the faults its calls met: their retries show in its counter.
      assertThat(awsFailuresCounted)
          .as("throttled and failed AWS attempts counted by the operator processes")
          .isPositive();
    }
    Map<String, Object> counts = new ObjectMapper().readValue(stack.awsFaultCounts(), Map.class);
    stack.awsFaults(0, OPERATOR_KEY);
    @SuppressWarnings("unchecked")
    Map<String, Integer> injected = (Map<String, Integer>) counts.get("injected");
    injected.forEach((kind, n) -> FAULTS.merge("aws/" + kind, n, Integer::sum));
    FAULTS.put("operator/kill -9", kills);
    FIGURES.put("idempotentRunInstancesReplays", counts.get("idempotentReplays"));

    verify(workload);
    assertThat(injected.values().stream().mapToInt(Integer::intValue).sum())
        .as("AWS faults injected")
        .isPositive();
  }

  /** The throttled and failed AWS attempts one operator process counted, from its /prometheus. */
  private static double awsFailuresCounted(BuilderProcess process) {
    var scrape = process.get("/prometheus");
    if (scrape == null) {
      return 0;
    }
    PrometheusText metrics = new PrometheusText(scrape.body());
    return metrics.sum("buildserver_aws_requests_total", Map.of("outcome", "throttled"))
        + metrics.sum("buildserver_aws_requests_total", Map.of("outcome", "server_error"));
  }

  @Test
  @Order(2)
  void apiServerRestartMidRunConvergesWithTheSameOperator() {
    Workload workload = WORKLOADS.get(1);
    long pid = operator.process().pid();
    workload.runs(SIZE.batchRuns());
    workload.assets(SIZE.batchAssets(), files, filesBase, "asset-secret");
    workload.reports(LEDGER_URLS.subList(0, 1));
    stack.restartApiServer();
    FAULTS.merge("kubernetes/kube-apiserver restart", 1, Integer::sum);
    workload.deleteAThird();
    awaitConverged(workload, SIZE.deadline());
    verify(workload);
    assertThat(operator.process().isAlive()).isTrue();
    assertThat(operator.process().pid())
        .as("the operator reconnected; it did not restart")
        .isEqualTo(pid);
    HttpResponse<String> ready = operator.get("/health/readiness");
    assertThat(ready.statusCode()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void aFifthOfKubernetesRequestsFailingStillConverges() {
    Workload workload = WORKLOADS.get(2);
    Map<String, Object> properties = new HashMap<>();
    properties.put("buildserver.operator.kubeconfig", stack.kubeconfig().toString());
    properties.put("buildserver.operator.watch-namespaces", workload.namespace());
    properties.put("buildserver.aws.endpoint", stack.motoEndpoint().toString());
    properties.put("buildserver.aws.region", "us-east-1");
    properties.put("buildserver.api.token", API_TOKEN);
    properties.put("buildserver.outbound.allow-hosts", "127.0.0.1");
    properties.put("micronaut.server.port", -1);
    try (KubeFaults faults = new KubeFaults(0.2);
        LogCapture log = LogCapture.attach();
        InProcessOperator inProcess = InProcessOperator.startWith(List.of(faults), properties)) {
      workload.runs(SIZE.batchRuns());
      workload.assets(SIZE.batchAssets(), files, filesBase, "asset-secret");
      workload.reports(LEDGER_URLS.subList(0, 1));
      workload.deleteAThird();
      awaitConverged(workload, SIZE.deadline());
      faults.off();
      faults.injected().forEach((kind, n) -> FAULTS.merge(kind, n, Integer::sum));
      assertThat(faults.injected().values().stream().mapToInt(Integer::intValue).sum())
          .as("Kubernetes client faults injected")
          .isPositive();
      SECRETS.search("the in-process operator's log", log.text());
    }
    verify(workload);
  }

  @Test
  @Order(4)
  void noSecretInAnyLogEventOrStatus() throws IOException {
    for (Path log : LOGS) {
      SECRETS.search(log.toString(), Files.readString(log));
    }
    for (Workload workload : WORKLOADS) {
      for (Event event :
          stack.client().v1().events().inNamespace(workload.namespace()).list().getItems()) {
        SECRETS.search(
            "an Event in " + workload.namespace(), event.getReason() + " " + event.getMessage());
      }
      workload.statuses().forEach(s -> SECRETS.search("a status in " + workload.namespace(), s));
    }
    assertThat(LOGS).as("operator logs of every start").hasSizeGreaterThan(SIZE.kills());
    assertThat(SECRETS.findings()).isEmpty();
  }
}
