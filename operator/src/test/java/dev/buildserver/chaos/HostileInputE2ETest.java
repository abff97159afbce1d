package dev.buildserver.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.Resources;
import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input against one {@code builder operator} process, as a table: invalid specs of the
 * three kinds, hostile ledgers, url sources aimed at metadata, loopback and the API server, and
 * abuse of the HTTP API. Every case is refused by the API server naming the field, answered by the
 * operator with a condition whose reason and message say what to fix, or answered 4xx with the
 * API's JSON error; nothing hangs, the process stays ready, and no secret is echoed. All resources
 * are created first and then awaited, each within {@link #ANSWER_WITHIN} of its creation. A summary
 * goes to {@code target/chaos/hostile.json}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputE2ETest {

  private static final String API_TOKEN = "hostile-api-token-Tq4Zr8";
  private static final String LEDGER_TOKEN = "ledger-bearer-Lm7Wk2";
  private static final String URL_PASSWORD = "url-password-Hx2Kp5";
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);
  private static final int MAX_PAGES = 20;
  private static final int MAX_PAGE_BYTES = 1024 * 1024;
  private static final int MAX_REQUEST_BYTES = 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private static Cluster cluster;

  /**
   * Creates the cases' resources without retrying a refused request (fabric8 would, for ~100 s).
   */
  private static KubernetesClient creator;

  private static BuilderProcess operator;
  private static int operatorPort;
  private static HostileServer hostile;
  private static List<Case> cases;
  private static final Map<String, Instant> created = new ConcurrentHashMap<>();
  private static final Map<String, KubernetesClientException> refused = new ConcurrentHashMap<>();
  private static final Map<String, Observed> observed = new ConcurrentHashMap<>();
  private static final Map<String, String> replies = new ConcurrentHashMap<>();

  /** What a case expects: how it is answered, and the reason and message fragment that say so. */
  enum Outcome {
    REJECTED("rejected-by-api-server"),
    CONDITION("condition"),
    HTTP_4XX("http-4xx"),
    /** Taken as valid: a 2xx, or a resource the API server let through and the operator served. */
    ACCEPTED("accepted"),
    /** No answer in time, a 5xx, or only an in-progress condition. */
    UNANSWERED("unanswered");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  /** What one case feeds the operator. */
  sealed interface Input permits Manifest, Call {}

  /** A manifest of a buildserver kind, sent as written (wrong types included). */
  record Manifest(String kind, String yaml) implements Input {}

  /**
   * One request to the operator's HTTP API; {@code then}, if set, is the next request a keep-alive
   * client sends on the same connection (on a new one if the server closes it), whose answer is the
   * one checked.
   */
  record Call(
      String method,
      String path,
      Map<String, String> headers,
      byte[] body,
      Transport transport,
      Call then)
      implements Input {}

  /** How a call reaches the server. */
  enum Transport {
    /** The JDK HTTP client and its connection pool. */
    CLIENT,
    /** A socket of its own, the body sent with its Content-Length. */
    SOCKET,
    /** A socket of its own, the body chunked: no Content-Length to check up front. */
    CHUNKED
  }

  /**
   * The expected answer: for a rejection the API server's code and Status reason, for a condition
   * its type and reason, for the HTTP API the status and the JSON {@code reason}; the message (or
   * JSON {@code error}) must contain {@code fragment}, and must not contain {@code absent} (when
   * set: what the answer must not leak or pass through).
   */
  record Expected(
      Outcome outcome,
      int code,
      String conditionType,
      String reason,
      String fragment,
      String absent) {

    /** The same answer, which must not contain {@code text}. */
    Expected without(String text) {
      return new Expected(outcome, code, conditionType, reason, fragment, text);
    }

    boolean lacksWhatMustBeAbsent(String message) {
      return absent == null || message == null || !message.contains(absent);
    }
  }

  record Case(String name, String family, Input input, Expected expected) {
    @Override
    public String toString() {
      return family + "/" + name;
    }
  }

  /** What came back, for the summary. */
  record Observed(
      String name,
      String family,
      String expected,
      String outcome,
      String reason,
      String message,
      boolean asExpected) {}

  @BeforeAll
  static void startOperatorAndCreateEveryResource() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("hostile"));
    creator = clientWithoutRetries(api.kubeconfig());
    MotoServer.get().reset();
    hostile = HostileServer.start();
    operatorPort = BuilderProcess.freePort();
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", api.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", cluster.namespace());
    env.put("BUILDSERVER_API_TOKEN", API_TOKEN);
    env.put("MICRONAUT_SERVER_HOST", "127.0.0.1");
    env.put("MICRONAUT_SERVER_MAX_REQUEST_SIZE", Integer.toString(MAX_REQUEST_BYTES));
    // Only the literal 127.0.0.1 is trusted: the test's servers, and nothing else on loopback.
    env.put("BUILDSERVER_OUTBOUND_ALLOW_HOSTS", "127.0.0.1");
    env.put("BUILDSERVER_OUTBOUND_CONNECT_TIMEOUT", "3s");
    env.put("BUILDSERVER_OUTBOUND_READ_TIMEOUT", "3s");
    env.put("BUILDSERVER_OUTBOUND_TOTAL_TIMEOUT", "6s");
    env.put("BUILDSERVER_LEDGER_MAX_PAGES", Integer.toString(MAX_PAGES));
    env.put("BUILDSERVER_LEDGER_MAX_PAGE_BYTES", Integer.toString(MAX_PAGE_BYTES));
    env.put("BUILDSERVER_LEDGER_ATTEMPTS", "2");
    env.put("BUILDSERVER_LEDGER_RETRY_BACKOFF", "100ms");
    // With the identity lockdown on: every AWS call is made as the namespace's own role.
    api.client()
        .serviceAccounts()
        .inNamespace(cluster.namespace())
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName("tenant")
                .addToAnnotations(
                    "eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/hostile")
                .endMetadata()
                .build())
        .create();
    env.put("BUILDSERVER_IDENTITY_DEFAULT_SERVICE_ACCOUNT", "tenant");
    env.put("BUILDSERVER_API_SERVICE_ACCOUNT", cluster.namespace() + "/tenant");
    operator = BuilderProcess.start("operator-hostile", operatorPort, env, "operator");

    cluster.secret("ledger-token", "token", LEDGER_TOKEN.getBytes(StandardCharsets.UTF_8));
    cluster.secret("blank-token", "token", " \n".getBytes(StandardCharsets.UTF_8));
    cluster.secret("asset-secret", "present", "x".getBytes(StandardCharsets.UTF_8));
    URI apiServer = URI.create(api.client().getMasterUrl().toString());
    cases =
        Stream.of(
                specCases(hostile),
                ledgerCases(hostile),
                urlCases(hostile, apiServer.getPort()),
                httpCases())
            .flatMap(List::stream)
            .toList();
    assertThat(cases.stream().map(Case::name).distinct()).hasSize(cases.size());

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .failFast("the operator process exited", () -> !operator.process().isAlive())
        .until(HostileInputE2ETest::ready);
    for (Case c : cases) {
      if (c.input() instanceof Manifest manifest) {
        create(c.name(), manifest);
      }
    }
  }

  private static void create(String name, Manifest manifest) {
    try {
      creator.resource(resource(manifest)).create();
      created.put(name, Instant.now());
    } catch (KubernetesClientException e) {
      refused.put(name, e);
    }
  }

  private static void delete(Manifest manifest) {
    creator.resource(resource(manifest)).delete();
  }

  private static GenericKubernetesResource resource(Manifest manifest) {
    GenericKubernetesResource resource =
        Serialization.unmarshal(manifest.yaml(), GenericKubernetesResource.class);
    resource.getMetadata().setNamespace(cluster.namespace());
    return resource;
  }

  private static KubernetesClient clientWithoutRetries(Path kubeconfig) {
    try {
      Config config =
          new ConfigBuilder(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .withRequestRetryBackoffLimit(0)
              .build();
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void writeSummaryAndStop() throws IOException {
    try {
      if (cases != null) {
        writeSummary();
      }
    } finally {
      if (operator != null) {
        operator.close();
      }
      if (hostile != null) {
        hostile.close();
      }
      if (creator != null) {
        creator.close();
      }
    }
  }

  static Stream<Case> cases() {
    return cases.stream();
  }

  @Order(1)
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedOrAnsweredWithWhatToFix(Case c) throws Exception {
    if (c.input() instanceof Call call) {
      answersWithAJsonError(c, call);
    } else if (c.expected().outcome() == Outcome.REJECTED) {
      isRejectedByTheApiServer(c);
    } else {
      isAnsweredWithACondition(c, (Manifest) c.input());
    }
  }

  @Test
  @Order(2)
  void staysAliveAndReadyAndEchoesNoSecret() {
    assertThat(operator.process().isAlive()).as("operator process alive").isTrue();
    assertThat(ready()).as("/health/readiness answers 200").isTrue();
    SecretScan scan =
        new SecretScan()
            .add("the API token", API_TOKEN)
            .add("the ledger token", LEDGER_TOKEN)
            .add("the URL password", URL_PASSWORD);
    scan.search("the operator log", operator.log());
    scan.search("the Events", cluster.events());
    for (String kind : List.of("BuildAsset", "Ec2TestRun", "BalanceReport")) {
      for (CustomResource<?, ?> resource :
          cluster
              .client()
              .resources(type(kind))
              .inNamespace(cluster.namespace())
              .list()
              .getItems()) {
        scan.search(
            "the status of " + resource.getMetadata().getName(),
            Serialization.asJson(resource.getStatus()));
      }
    }
    replies.forEach((name, reply) -> scan.search("the HTTP answer of " + name, reply));
    assertThat(scan.findings()).as("secrets echoed").isEmpty();
    assertThat(observed.values().stream().filter(o -> !o.asExpected()).map(Observed::name))
        .as("cases answered otherwise than expected")
        .isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // The cases

  /** Family 1: invalid specs of the three kinds. */
  private static List<Case> specCases(HostileServer server) {
    String family = "spec";
    String ok = "bucket: hostile-spec, key: a.txt, createBucket: true";
    List<Case> list = new ArrayList<>();
    // BuildAsset
    list.add(
        asset(
            family,
            "ba-no-bucket",
            "{key: a.txt, source: {inline: x}}",
            field("spec.bucket: Required value")));
    list.add(
        asset(
            family,
            "ba-no-key",
            "{bucket: hostile-spec, source: {inline: x}}",
            field("spec.key: Required value")));
    list.add(
        asset(
            family,
            "ba-no-source",
            "{bucket: hostile-spec, key: a.txt}",
            field("spec.source: Required value")));
    list.add(
        asset(
            family,
            "ba-empty-source",
            "{" + ok + ", source: {}}",
            field("source must set exactly one of")));
    list.add(
        asset(
            family,
            "ba-two-sources",
            "{" + ok + ", source: {inline: x, base64: eA==}}",
            field("source must set exactly one of")));
    list.add(
        asset(
            family,
            "ba-bucket-uppercase",
            "{bucket: My_Bucket, key: a, source: {inline: x}}",
            field("spec.bucket")));
    list.add(
        asset(
            family,
            "ba-bucket-too-short",
            "{bucket: ab, key: a, source: {inline: x}}",
            field("spec.bucket")));
    list.add(
        asset(
            family,
            "ba-bucket-too-long",
            "{bucket: " + "b".repeat(64) + ", key: a, source: {inline: x}}",
            field("spec.bucket")));
    list.add(
        asset(
            family,
            "ba-bucket-double-dot",
            "{bucket: hostile..spec, key: a, source: {inline: x}}",
            ready("InvalidBucketName", "'hostile..spec' is not a valid S3 bucket name")));
    list.add(
        asset(
            family,
            "ba-bucket-number",
            "{bucket: 12345, key: a, source: {inline: x}}",
            field("spec.bucket")));
    list.add(
        asset(
            family,
            "ba-empty-key",
            "{bucket: hostile-spec, key: '', source: {inline: x}}",
            field("spec.key")));
    list.add(
        asset(
            family,
            "ba-key-too-long",
            "{bucket: hostile-spec, key: " + "k".repeat(1025) + ", source: {inline: x}}",
            field("spec.key")));
    list.add(
        asset(
            family,
            "ba-key-multibyte-too-long",
            "{bucket: hostile-spec, key: " + "\u00e9".repeat(600) + ", source: {inline: x}}",
            ready("InvalidKey", "longer than S3's 1024 bytes")));
    // Control characters in a key: a newline forges log lines, ESC and CSI drive terminals.
    list.add(
        jsonAsset(
            family,
            "ba-key-newline",
            "{\"bucket\": \"hostile-spec\", \"key\": \"logs/a\\nINFO forged\","
                + " \"source\": {\"inline\": \"x\"}}",
            field("key must not contain control characters")));
    list.add(
        jsonAsset(
            family,
            "ba-key-escape",
            "{\"bucket\": \"hostile-spec\", \"key\": \"\\u001b[2Jcleared\","
                + " \"source\": {\"inline\": \"x\"}}",
            field("key must not contain control characters")));
    list.add(
        jsonAsset(
            family,
            "ba-key-c1-csi",
            "{\"bucket\": \"hostile-spec\", \"key\": \"a\\u009b31mred\","
                + " \"source\": {\"inline\": \"x\"}}",
            field("key must not contain control characters")));
    // Content past the limits that keep every spec small in etcd and in the operator's cache.
    list.add(
        jsonAsset(
            family,
            "ba-inline-over-limit",
            "{\"bucket\": \"hostile-spec\", \"key\": \"big.txt\", \"source\": {\"inline\": \"%s\"}}"
                .formatted("\u0416".repeat(262_145)),
            field("source.inline holds at most 65536 characters: put larger content in a")));
    list.add(
        jsonAsset(
            family,
            "ba-base64-over-limit",
            "{\"bucket\": \"hostile-spec\", \"key\": \"big.bin\", \"source\": {\"base64\": \"%s\"}}"
                .formatted("A".repeat(349_532)),
            field("source.base64 holds at most 87384 characters")));
    list.add(
        asset(
            family,
            "ba-create-bucket-string",
            "{bucket: hostile-spec, key: a, createBucket: 'yes', source: {inline: x}}",
            field("spec.createBucket")));
    list.add(
        asset(
            family,
            "ba-source-string",
            "{bucket: hostile-spec, key: a, source: hello}",
            field("spec.source")));
    list.add(
        asset(
            family,
            "ba-deletion-policy-enum",
            "{" + ok + ", deletionPolicy: Sometimes, source: {inline: x}}",
            field("spec.deletionPolicy")));
    list.add(
        asset(
            family,
            "ba-sha256-uppercase",
            "{" + ok + ", sha256: " + "AB".repeat(32) + ", source: {inline: x}}",
            field("spec.sha256")));
    list.add(
        asset(
            family,
            "ba-metadata-list",
            "{" + ok + ", metadata: [a, b], source: {inline: x}}",
            field("spec.metadata")));
    // Huge strings, as JSON: a YAML parser refuses documents this large before the API server.
    list.add(
        jsonAsset(
            family,
            "ba-huge-key",
            "{\"bucket\": \"hostile-spec\", \"key\": \"%s\", \"source\": {\"inline\": \"x\"}}"
                .formatted("k".repeat(1_200_000)),
            field("spec.key")));
    list.add(
        asset(
            family,
            "ba-sha256-mismatch",
            "{" + ok + ", sha256: " + "0".repeat(64) + ", source: {inline: x}}",
            ready("ChecksumMismatch", "does not match")));
    list.add(
        asset(
            family,
            "ba-invalid-base64",
            "{" + ok + ", source: {base64: '!!not base64!!'}}",
            ready("InvalidSource", "spec.source.base64 is not valid base64")));
    list.add(
        asset(
            family,
            "ba-configmap-missing",
            "{" + ok + ", source: {configMapKeyRef: {name: absent-config, key: k}}}",
            ready("SourceNotFound", "ConfigMap absent-config does not exist")));
    list.add(
        asset(
            family,
            "ba-secret-missing",
            "{" + ok + ", source: {secretKeyRef: {name: absent-secret, key: k}}}",
            ready("SourceNotFound", "Secret absent-secret does not exist")));
    list.add(
        asset(
            family,
            "ba-secret-key-missing",
            "{" + ok + ", source: {secretKeyRef: {name: asset-secret, key: absent}}}",
            ready("SourceNotFound", "has no key 'absent'").without("present")));
    list.add(
        asset(
            family,
            "ba-reserved-metadata",
            "{" + ok + ", metadata: {buildserver-owner: me}, source: {inline: x}}",
            ready("InvalidMetadata", "reserved prefix")));
    list.add(
        asset(
            family,
            "ba-unknown-region",
            "{" + ok + ", region: zz-nowhere-1, source: {inline: x}}",
            ready("InvalidRegion", "'zz-nowhere-1' is not an AWS region")));
    list.add(
        asset(
            family,
            "ba-bucket-absent",
            "{bucket: hostile-absent, key: a, source: {inline: x}}",
            ready("BucketNotFound", "spec.createBucket: true")));
    list.add(
        asset(
            family,
            "ba-s3-source-absent",
            "{" + ok + ", source: {s3: {bucket: hostile-absent, key: nothing}}}",
            ready("SourceNotFound", "hostile-absent")));
    // Ec2TestRun
    String launch = "region: us-east-1, imageId: " + Ec2Examples.IMAGE + ", instanceType: t2.micro";
    list.add(
        run(
            family,
            "etr-no-region",
            "{imageId: ami-12c6146b, instanceType: t2.micro}",
            field("spec.region: Required value")));
    list.add(
        run(
            family,
            "etr-region-format",
            "{region: US_EAST_1, imageId: ami-12c6146b, instanceType: t2.micro}",
            field("spec.region")));
    list.add(
        run(
            family,
            "etr-nothing-to-launch",
            "{region: us-east-1}",
            field("set launchTemplate, or both imageId and instanceType")));
    list.add(
        run(
            family,
            "etr-template-id-and-name",
            "{region: us-east-1, launchTemplate: {id: lt-0abc, name: both}}",
            field("launchTemplate needs exactly one of id, name or data")));
    list.add(
        run(
            family,
            "etr-bad-ami",
            "{region: us-east-1, imageId: ami-NOPE, instanceType: t2.micro}",
            field("spec.imageId")));
    list.add(
        run(
            family,
            "etr-negative-ttl",
            "{" + launch + ", ttlSecondsAfterFinished: -1}",
            field("spec.ttlSecondsAfterFinished")));
    list.add(
        run(
            family,
            "etr-ttl-string",
            "{" + launch + ", ttlSecondsAfterFinished: soon}",
            field("spec.ttlSecondsAfterFinished")));
    list.add(
        run(
            family,
            "etr-duration-words",
            "{" + launch + ", timeouts: {running: 5 minutes}}",
            field("spec.timeouts.running")));
    list.add(
        run(
            family,
            "etr-duration-negative",
            "{" + launch + ", timeouts: {total: '-5m'}}",
            field("spec.timeouts.total")));
    list.add(
        run(
            family,
            "etr-duration-zero",
            "{" + launch + ", timeouts: {total: 0s}}",
            condition("Succeeded", "TimedOut", "within 0s")));
    list.add(
        run(
            family,
            "etr-terminate-enum",
            "{" + launch + ", terminate: Sometimes}",
            field("spec.terminate")));
    list.add(run(family, "etr-tags-list", "{" + launch + ", tags: [a, b]}", field("spec.tags")));
    list.add(
        run(
            family,
            "etr-unknown-region",
            "{region: zz-nowhere-1, imageId: ami-12c6146b, instanceType: t2.micro}",
            condition("Succeeded", "LaunchFailed", "'zz-nowhere-1' is not an AWS region")));
    list.add(
        run(
            family,
            "etr-template-absent",
            "{region: us-east-1, launchTemplate: {name: no-such-template}}",
            condition(
                "Succeeded",
                "LaunchFailed",
                "launch templates specified in the request does not exist")));
    list.add(
        run(
            family,
            "etr-impossible-state",
            "{" + launch + ", expect: {state: exploded}}",
            condition("Succeeded", "ChecksFailed", "exploded")));
    // BalanceReport
    list.add(
        report(
            family, "br-no-ledger", "{refreshInterval: 1h}", field("spec.ledger: Required value")));
    list.add(report(family, "br-no-url", "{ledger: {}}", field("spec.ledger.url: Required value")));
    list.add(
        report(
            family,
            "br-url-without-page",
            "{ledger: {url: 'http://127.0.0.1:1/ledger.json'}}",
            field("ledger.url must contain the {page} placeholder")));
    String ledger = "ledger: {url: '" + "http://127.0.0.1:1/{page}.json" + "'}";
    list.add(
        report(
            family,
            "br-refresh-words",
            "{" + ledger + ", refreshInterval: every hour}",
            field("spec.refreshInterval")));
    list.add(
        report(
            family,
            "br-refresh-negative",
            "{" + ledger + ", refreshInterval: '-1h'}",
            field("spec.refreshInterval")));
    server.answer("br-refresh-zero", json(page(1, 1, tx("2014-01-02", "Office", "1.00"))));
    list.add(
        report(
            family,
            "br-refresh-zero",
            "{ledger: {url: '" + server.url("br-refresh-zero") + "'}, refreshInterval: 0s}",
            field("spec.refreshInterval")));
    list.add(
        report(
            family,
            "br-empty-days-string",
            "{" + ledger + ", includeEmptyDays: sometimes}",
            field("spec.includeEmptyDays")));
    list.add(
        report(
            family,
            "br-output-no-key",
            "{" + ledger + ", output: {s3: {bucket: hostile-spec}}}",
            field("spec.output.s3.key: Required value")));
    list.add(
        report(
            family,
            "br-output-key-control",
            "{" + ledger + ", output: {s3: {bucket: hostile-spec, key: \"report\\e[2J.json\"}}}",
            field("key must not contain control characters")));
    list.add(
        report(
            family,
            "br-output-bucket-invalid",
            "{" + ledger + ", output: {s3: {bucket: Bad_Bucket, key: report.json}}}",
            field("spec.output.s3.bucket")));
    list.add(
        report(
            family,
            "br-token-secret-absent",
            "{ledger: {url: 'http://127.0.0.1:1/{page}.json',"
                + " authSecretRef: {name: absent-token, key: token}}}",
            ready("SecretNotFound", "Secret absent-token does not exist")));
    list.add(
        report(
            family,
            "br-token-blank",
            "{ledger: {url: 'http://127.0.0.1:1/{page}.json',"
                + " authSecretRef: {name: blank-token, key: token}}}",
            ready("InvalidToken", "Secret blank-token key token is empty")));
    return list;
  }

  /** Family 2: BalanceReports reading ledgers that misbehave. */
  private static List<Case> ledgerCases(HostileServer server) {
    String family = "ledger";
    List<Case> list = new ArrayList<>();
    String one = tx("2014-01-02", "Office", "-8.10");
    server.answer(
        "truncated",
        json("{\"totalCount\": 2, \"page\": 1, \"transactions\": [{\"Date\": \"2014-01"));
    list.add(
        ledger(server, family, "truncated", ready("MalformedPage", "page 1 is not a ledger page")));
    server.answer(
        "amount-object",
        json(
            page(
                1,
                1,
                "{\"Date\": \"2014-01-02\", \"Ledger\": \"L\", \"Amount\": {\"value\": 5},"
                    + " \"Company\": \"C\"}")));
    list.add(
        ledger(
            server,
            family,
            "amount-object",
            ready("MalformedPage", "page 1 is not a ledger page")));
    server.answer("date-malformed", json(page(1, 1, tx("2014-13-45", "Office", "1.00"))));
    list.add(
        ledger(
            server,
            family,
            "date-malformed",
            ready("MalformedPage", "Date '2014-13-45' is not a date")));
    server.answer("amount-exponent", json(page(1, 1, tx("2014-01-02", "Office", "1e999999999"))));
    list.add(
        ledger(
            server, family, "amount-exponent", ready("MalformedPage", "is not a decimal number")));
    server.answer("null-transaction", json(page(2, 1, one + ", null")));
    list.add(
        ledger(
            server, family, "null-transaction", ready("MalformedPage", "transaction 2 is null")));
    server.answer("transactions-string", json("{\"page\": 1, \"transactions\": \"lots\"}"));
    list.add(
        ledger(
            server,
            family,
            "transactions-string",
            ready("MalformedPage", "page 1 is not a ledger page")));
    server.answer(
        "nesting-bomb",
        json(
            "{\"padding\": "
                + "[".repeat(100_000)
                + "]".repeat(100_000)
                + ", \"transactions\": []}"));
    list.add(
        ledger(server, family, "nesting-bomb", ready("MalformedPage", "longer or deeper than")));
    server.answer("empty-body", json(""));
    list.add(ledger(server, family, "empty-body", ready("MalformedPage", "page 1")));
    server.answer("ten-megabytes", sized(StaticHttpServer.generated(10_000_000, 7), false));
    list.add(
        ledger(
            server,
            family,
            "ten-megabytes",
            ready("TooLarge", "larger than " + MAX_PAGE_BYTES + " bytes")));
    // Valid JSON all along, so that only the size stops it: pages are parsed as they stream in.
    server.answer("ten-megabytes-chunked", sized(paddedPage(10_000_000), true));
    list.add(
        ledger(
            server,
            family,
            "ten-megabytes-chunked",
            ready("TooLarge", "larger than " + MAX_PAGE_BYTES + " bytes")));
    server.answer(
        "endless",
        (exchange, n) ->
            send(
                exchange,
                200,
                page(null, n, tx("2014-01-02", "L" + n, n + ".00"))
                    .getBytes(StandardCharsets.UTF_8)));
    list.add(
        ledger(
            server,
            family,
            "endless",
            ready("LedgerTooLarge", "more than " + MAX_PAGES + " pages")));
    server.answer("total-count-huge", json(page(1_000_000_000_000L, 1, one)));
    list.add(
        ledger(
            server,
            family,
            "total-count-huge",
            ready("LedgerTooLarge", "buildserver.ledger.max-pages")));
    server.answer(
        "total-count-high", json(page(15L, 1, one + "," + one), page(15L, 2, one + "," + one)));
    list.add(
        ledger(
            server,
            family,
            "total-count-high",
            ready("InconsistentLedger", "page 3 answered 404")));
    server.answer(
        "total-count-low", json(page(1L, 1, one + "," + tx("2014-01-03", "Office", "2"))));
    list.add(
        ledger(
            server, family, "total-count-low", ready("InconsistentLedger", "its totalCount is 1")));
    server.answer("duplicate-page-number", json(page(null, 1, one), page(null, 1, one)));
    list.add(
        ledger(
            server,
            family,
            "duplicate-page-number",
            ready("MalformedPage", "page 2 says it is page 1")));
    String unnumbered = "{\"transactions\": [" + one + "]}";
    server.answer("page-ignored", json(unnumbered, unnumbered));
    list.add(
        ledger(server, family, "page-ignored", ready("MalformedPage", "page 2 repeats page 1")));
    server.answer(
        "redirect-loop", (exchange, n) -> redirect(exchange, exchange.getRequestURI().getPath()));
    list.add(ledger(server, family, "redirect-loop", ready("UrlFailed", "more than 5 redirects")));
    server.answer(
        "redirect-metadata",
        (exchange, n) -> redirect(exchange, "http://169.254.169.254/latest/meta-data/"));
    list.add(ledger(server, family, "redirect-metadata", ready("UrlRefused", "169.254.169.254")));
    server.answer("trickle", HostileInputE2ETest::trickle);
    list.add(
        ledger(server, family, "trickle", ready("LedgerUnreachable", "did not finish within 6s")));
    server.answer("silent", HostileInputE2ETest::silent);
    list.add(ledger(server, family, "silent", ready("LedgerUnreachable", "in time")));
    byte[] latin1 =
        page(1, 1, tx("2014-01-02", "Caf\u00e9", "1.00")).getBytes(StandardCharsets.ISO_8859_1);
    server.answer(
        "non-utf8",
        (exchange, n) -> send(exchange, n == 1 ? 200 : 404, n == 1 ? latin1 : new byte[0]));
    list.add(ledger(server, family, "non-utf8", ready("MalformedPage", "UTF-8")));
    server.answer("error-500-forever", (exchange, n) -> send(exchange, 500, new byte[0]));
    list.add(
        ledger(
            server,
            family,
            "error-500-forever",
            ready("LedgerUnavailable", "answered HTTP 500 after 2 tries")));
    server.answer(
        "html-page",
        (exchange, n) ->
            send(
                exchange,
                200,
                "<!DOCTYPE html><html><body>Sign in</body></html>"
                    .getBytes(StandardCharsets.UTF_8)));
    list.add(
        ledger(server, family, "html-page", ready("MalformedPage", "page 1 is not a ledger page")));
    server.answer("unauthorized", (exchange, n) -> send(exchange, 401, new byte[0]));
    list.add(
        report(
            family,
            "ledger-unauthorized",
            "{ledger: {url: '"
                + server.url("unauthorized")
                + "', authSecretRef: {name: ledger-token, key: token}}}",
            ready("LedgerUnauthorized", "spec.ledger.authSecretRef")));
    server.answer(
        "ages",
        json(page(2, 1, tx("0001-01-01", "Old", "1") + "," + tx("9999-12-31", "New", "1"))));
    list.add(
        report(
            family,
            "ledger-empty-days-span",
            "{ledger: {url: '" + server.url("ages") + "'}, includeEmptyDays: true}",
            ready("LedgerTooLarge", "includeEmptyDays")));
    return list;
  }

  /** Family 3: url sources aimed where an operator must not fetch from. */
  private static List<Case> urlCases(HostileServer server, int apiServerPort) {
    String family = "url";
    List<Case> list = new ArrayList<>();
    String notListed = "is not on the operator's outbound allow list";
    Map<String, String> refusedByAllowList = new LinkedHashMap<>();
    refusedByAllowList.put(
        "url-metadata-aws", "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
    refusedByAllowList.put("url-metadata-ecs", "http://169.254.170.2/v2/credentials");
    refusedByAllowList.put(
        "url-metadata-gcp", "http://metadata.google.internal/computeMetadata/v1/");
    refusedByAllowList.put("url-metadata-ipv6", "http://[fd00:ec2::254]/latest/meta-data/");
    refusedByAllowList.put("url-localhost", "http://localhost:" + server.port() + "/x/1.json");
    refusedByAllowList.put("url-localhost-dot", "http://localhost.:" + server.port() + "/x/1.json");
    // "vm" resolves to 127.0.0.1 through /etc/hosts here; the allow list refuses it unresolved.
    refusedByAllowList.put("url-hosts-file-name", "http://vm:" + server.port() + "/x/1.json");
    refusedByAllowList.put("url-ipv6-loopback", "http://[::1]:" + server.port() + "/x/1.json");
    refusedByAllowList.put("url-decimal-ip", "http://2130706433:" + server.port() + "/x/1.json");
    refusedByAllowList.put("url-octal-ip", "http://0177.0.0.1:" + server.port() + "/x/1.json");
    refusedByAllowList.put(
        "url-mapped-ipv6", "http://[::ffff:127.0.0.1]:" + server.port() + "/x/1.json");
    refusedByAllowList.put("url-unspecified", "http://0.0.0.0:" + server.port() + "/x/1.json");
    refusedByAllowList.put(
        "url-api-server-by-name", "https://localhost:" + apiServerPort + "/api/v1/secrets");
    refusedByAllowList.put("url-unresolvable", "http://no-such-host.invalid/a.tar.gz");
    refusedByAllowList.put("url-userinfo-trick", "http://127.0.0.1@169.254.169.254/latest/");
    refusedByAllowList.put(
        "url-password-to-metadata", "http://admin:" + URL_PASSWORD + "@169.254.169.254/latest/");
    refusedByAllowList.forEach(
        (name, url) -> list.add(url(family, name, url, ready("UrlRefused", notListed))));
    // A host on the allow list is trusted, even where it is the API server: the literal 127.0.0.1
    // reaches it here, and only TLS (the operator does not trust its CA) stops the fetch.
    list.add(
        url(
            family,
            "url-api-server-allow-listed",
            "https://127.0.0.1:" + apiServerPort + "/api/v1/secrets",
            ready("UrlUnreachable", "cannot fetch https://127.0.0.1:" + apiServerPort)));
    list.add(
        url(
            family,
            "url-password-to-allowed-host",
            "http://admin:" + URL_PASSWORD + "@127.0.0.1:" + server.port() + "/absent/1.json",
            ready("UrlFailed", "answered HTTP 404")));
    list.add(url(family, "url-no-host", "http:///etc/passwd", ready("InvalidUrl", "has no host")));
    // java.net.URI takes "127.1" for no host at all (a host label may not start with a digit).
    list.add(
        url(
            family,
            "url-short-ip",
            "http://127.1:" + server.port() + "/x/1.json",
            ready("InvalidUrl", "has no host")));
    list.add(
        url(
            family,
            "url-space",
            "http://exa mple.com/a",
            ready("InvalidUrl", "the URL is not valid")));
    server.answer(
        "to-metadata",
        (exchange, n) -> redirect(exchange, "http://169.254.169.254/latest/meta-data/"));
    list.add(
        url(
            family,
            "url-redirect-to-metadata",
            server.firstPage("to-metadata"),
            ready("UrlRefused", "169.254.169.254")));
    server.answer(
        "to-localhost",
        (exchange, n) -> redirect(exchange, "http://localhost:" + server.port() + "/x"));
    list.add(
        url(
            family,
            "url-redirect-to-localhost",
            server.firstPage("to-localhost"),
            ready("UrlRefused", notListed)));
    server.answer("to-file", (exchange, n) -> redirect(exchange, "file:///etc/passwd"));
    list.add(
        url(
            family,
            "url-redirect-to-file",
            server.firstPage("to-file"),
            ready("UrlRefused", "only http and https")));
    for (String scheme :
        List.of(
            "file:///etc/passwd",
            "ftp://127.0.0.1/a",
            "gopher://127.0.0.1:6379/_INFO",
            "jar:http://127.0.0.1/a.jar!/",
            "dict://127.0.0.1:11211/stats",
            "javascript:alert(1)",
            "https://")) {
      String name =
          "url-scheme-"
              + scheme.replaceAll("[^a-z]+.*", "")
              + (scheme.equals("https://") ? "-empty" : "");
      list.add(url(family, name, scheme, field("spec.source.url")));
    }
    return list;
  }

  /** Family 4: the HTTP API, misused. */
  private static List<Case> httpCases() {
    String family = "http";
    List<Case> list = new ArrayList<>();
    String put = "/buildserver/put-asset?bucket=hostile-http&key=a.txt&createBucket=true";
    byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
    String bearer = "Bearer " + API_TOKEN;
    list.add(
        http(
            family,
            "http-no-token",
            "POST",
            put,
            Map.of(),
            hi,
            http(401, "Unauthorized", "bearer token")));
    list.add(
        http(
            family,
            "http-wrong-token",
            "POST",
            put,
            auth("Bearer not-the-token"),
            hi,
            http(401, "Unauthorized", "bearer token")));
    String basic =
        Base64.getEncoder().encodeToString(("user:" + API_TOKEN).getBytes(StandardCharsets.UTF_8));
    list.add(
        http(
            family,
            "http-basic-scheme",
            "POST",
            put,
            auth("Basic " + basic),
            hi,
            http(401, "Unauthorized", "bearer token")));
    list.add(
        http(
            family,
            "http-token-without-scheme",
            "POST",
            put,
            auth(API_TOKEN),
            hi,
            http(401, "Unauthorized", "bearer token")));
    list.add(
        http(
            family,
            "http-token-with-suffix",
            "POST",
            put,
            auth(bearer + "x"),
            hi,
            http(401, "Unauthorized", "bearer token")));
    list.add(
        http(
            family,
            "http-token-in-query",
            "POST",
            put + "&access_token=" + API_TOKEN,
            Map.of(),
            hi,
            http(401, "Unauthorized", "bearer token")));
    list.add(
        http(
            family,
            "http-token-on-read",
            "GET",
            "/buildserver/assets?bucket=hostile-http",
            Map.of(),
            null,
            http(401, "Unauthorized", "bearer token")));
    byte[] big = new byte[2 * MAX_REQUEST_BYTES];
    Call oversized = new Call("POST", put, auth(bearer), big, Transport.SOCKET, null);
    list.add(new Case("http-oversized-body", family, oversized, http(413, "TooLarge", "exceeds")));
    list.add(
        new Case(
            "http-oversized-chunked",
            family,
            new Call("POST", put, auth(bearer), big, Transport.CHUNKED, null),
            http(413, "TooLarge", "exceeds")));
    // A client that keeps its connection after the 413 (as pooling clients do) must get an
    // answer to its next request, or be told to reconnect (Connection: close).
    Call noKey =
        new Call(
            "POST",
            "/buildserver/put-asset?bucket=hostile-http",
            auth(bearer),
            hi,
            Transport.SOCKET,
            null);
    list.add(
        new Case(
            "http-request-after-oversized-body",
            family,
            new Call("POST", put, auth(bearer), big, Transport.SOCKET, noKey),
            http(400, "InvalidKey", "key is empty")));
    list.add(
        http(
            family,
            "http-no-bucket",
            "POST",
            "/buildserver/put-asset?key=a",
            auth(bearer),
            hi,
            http(400, "InvalidBucketName", "not a valid S3 bucket name")));
    list.add(
        http(
            family,
            "http-bad-bucket",
            "POST",
            "/buildserver/put-asset?bucket=Bad_Bucket&key=a",
            auth(bearer),
            hi,
            http(400, "InvalidBucketName", "not a valid S3 bucket name")));
    list.add(
        http(
            family,
            "http-no-key",
            "POST",
            "/buildserver/put-asset?bucket=hostile-http",
            auth(bearer),
            hi,
            http(400, "InvalidKey", "key is empty")));
    list.add(
        http(
            family,
            "http-key-too-long",
            "POST",
            "/buildserver/put-asset?bucket=hostile-http&createBucket=true&key=" + "k".repeat(1025),
            auth(bearer),
            hi,
            http(400, "InvalidKey", "1024 bytes")));
    list.add(
        http(
            family,
            "http-path-traversal-key",
            "POST",
            "/buildserver/put-asset?bucket=hostile-http&createBucket=true"
                + "&key=..%2F..%2Fetc%2Fpasswd",
            auth(bearer),
            hi,
            http(400, "InvalidKey", "..")));
    list.add(
        http(
            family,
            "http-key-newline",
            "POST",
            "/buildserver/put-asset?bucket=hostile-http&createBucket=true&key=a%0AINFO%20forged",
            auth(bearer),
            hi,
            http(400, "InvalidKey", "control character (U+000A) at character 2").without("\n")));
    list.add(
        http(
            family,
            "http-key-escape",
            "POST",
            "/buildserver/put-asset?bucket=hostile-http&createBucket=true&key=%1B%5B2Jcleared",
            auth(bearer),
            hi,
            http(400, "InvalidKey", "control character (U+001B) at character 1")
                .without("\u001b")));
    list.add(
        http(
            family,
            "http-absent-bucket",
            "POST",
            "/buildserver/put-asset?bucket=hostile-absent&key=a",
            auth(bearer),
            hi,
            http(404, "BucketNotFound", "does not exist")));
    list.add(
        http(
            family,
            "http-unknown-region",
            "POST",
            put + "&region=zz-nowhere-1",
            auth(bearer),
            hi,
            http(400, "InvalidRegion", "not an AWS region")));
    list.add(
        http(
            family,
            "http-sha256-mismatch",
            "POST",
            put + "&sha256=" + "0".repeat(64),
            auth(bearer),
            hi,
            http(400, "ChecksumMismatch", "does not match")));
    list.add(
        http(
            family,
            "http-get-put-asset",
            "GET",
            put,
            auth(bearer),
            null,
            http(405, "MethodNotAllowed", "")));
    list.add(
        http(
            family,
            "http-delete-put-asset",
            "DELETE",
            put,
            auth(bearer),
            null,
            http(405, "MethodNotAllowed", "")));
    list.add(
        http(
            family,
            "http-unknown-path",
            "POST",
            "/buildserver/../../etc/passwd",
            auth(bearer),
            hi,
            http(404, "NotFound", "")));
    list.add(
        http(
            family,
            "http-list-no-bucket",
            "GET",
            "/buildserver/assets",
            auth(bearer),
            null,
            http(400, "InvalidBucketName", "bucket is required")));
    list.add(
        http(
            family,
            "http-list-limit-zero",
            "GET",
            "/buildserver/assets?bucket=hostile-http&limit=0",
            auth(bearer),
            null,
            http(400, "InvalidLimit", "between 1 and 10000")));
    list.add(
        http(
            family,
            "http-list-limit-word",
            "GET",
            "/buildserver/assets?bucket=hostile-http&limit=all",
            auth(bearer),
            null,
            http(400, "BadRequest", "limit")));
    return list;
  }

  // ---------------------------------------------------------------------------------------------
  // Table helpers

  private static Case asset(String family, String name, String spec, Expected expected) {
    return manifest(family, name, "BuildAsset", spec, expected);
  }

  private static Case jsonAsset(String family, String name, String spec, Expected expected) {
    String json =
        "{\"apiVersion\": \"buildserver.dev/v1alpha1\", \"kind\": \"BuildAsset\", \"metadata\":"
            + " {\"name\": \"%s\"}, \"spec\": %s}";
    return new Case(name, family, new Manifest("BuildAsset", json.formatted(name, spec)), expected);
  }

  private static Case run(String family, String name, String spec, Expected expected) {
    return manifest(family, name, "Ec2TestRun", spec, expected);
  }

  private static Case report(String family, String name, String spec, Expected expected) {
    return manifest(family, name, "BalanceReport", spec, expected);
  }

  private static Case ledger(
      HostileServer server, String family, String answer, Expected expected) {
    return report(
        family, "ledger-" + answer, "{ledger: {url: '" + server.url(answer) + "'}}", expected);
  }

  private static Case url(String family, String name, String url, Expected expected) {
    return asset(
        family,
        name,
        "{bucket: hostile-urls, key: a, createBucket: true, source: {url: '" + url + "'}}",
        expected);
  }

  private static Case manifest(
      String family, String name, String kind, String spec, Expected expected) {
    String yaml =
        "apiVersion: buildserver.dev/v1alpha1\nkind: %s\nmetadata: {name: %s}\nspec: %s\n"
            .formatted(kind, name, spec);
    return new Case(name, family, new Manifest(kind, yaml), expected);
  }

  private static Case http(
      String family,
      String name,
      String method,
      String path,
      Map<String, String> headers,
      byte[] body,
      Expected expected) {
    return new Case(
        name, family, new Call(method, path, headers, body, Transport.CLIENT, null), expected);
  }

  private static Map<String, String> auth(String value) {
    return Map.of("Authorization", value);
  }

  /** Refused by the API server with 422, the message naming the field or the rule. */
  private static Expected field(String fragment) {
    return new Expected(Outcome.REJECTED, 422, null, "Invalid", fragment, null);
  }

  private static Expected ready(String reason, String fragment) {
    return condition("Ready", reason, fragment);
  }

  private static Expected condition(String type, String reason, String fragment) {
    return new Expected(Outcome.CONDITION, 0, type, reason, fragment, null);
  }

  private static Expected http(int status, String reason, String fragment) {
    return new Expected(Outcome.HTTP_4XX, status, null, reason, fragment, null);
  }

  private static String tx(String date, String ledger, String amount) {
    return "{\"Date\": \"%s\", \"Ledger\": \"%s\", \"Amount\": \"%s\", \"Company\": \"C\"}"
        .formatted(date, ledger, amount);
  }

  private static String page(Long totalCount, Integer page, String transactions) {
    return "{\"totalCount\": %s, \"page\": %s, \"transactions\": [%s]}"
        .formatted(totalCount, page, transactions);
  }

  private static String page(int totalCount, int page, String transactions) {
    return page((long) totalCount, page, transactions);
  }

  // ---------------------------------------------------------------------------------------------
  // Checks

  private static void isRejectedByTheApiServer(Case c) throws InterruptedException {
    Expected expected = c.expected();
    KubernetesClientException e = refused.get(c.name());
    if (e == null) {
      String answer = awaitAnyCondition(c) + ledgerLoad(c);
      record(c, Outcome.ACCEPTED, answer, answer, false);
      delete((Manifest) c.input()); // whatever it keeps the operator busy with, stop it
      throw new AssertionError(
          c + " was accepted by the API server; the operator answered " + answer);
    }
    String reason = e.getStatus() == null ? null : e.getStatus().getReason();
    record(
        c,
        Outcome.REJECTED,
        reason,
        e.getMessage(),
        e.getCode() == expected.code()
            && e.getMessage().contains(expected.fragment())
            && expected.lacksWhatMustBeAbsent(e.getMessage())
            && (expected.reason() == null || expected.reason().equals(reason)));
    assertThat(e.getCode()).as(e.getMessage()).isEqualTo(expected.code());
    assertThat(e.getMessage()).contains(expected.fragment());
    assertThat(expected.lacksWhatMustBeAbsent(e.getMessage())).as(e.getMessage()).isTrue();
    if (expected.reason() != null) {
      assertThat(reason).as(e.getMessage()).isEqualTo(expected.reason());
    }
  }

  private static void isAnsweredWithACondition(Case c, Manifest manifest) {
    Expected expected = c.expected();
    KubernetesClientException e = refused.get(c.name());
    assertThat(e)
        .as(c + " was rejected by the API server: %s", e == null ? "" : e.getMessage())
        .isNull();
    Class<? extends CustomResource<?, ?>> type = type(manifest.kind());
    AtomicReference<Condition> last = new AtomicReference<>();
    try {
      await()
          .atMost(left(c))
          .pollInterval(Duration.ofMillis(250))
          .failFast("the operator process exited", () -> !operator.process().isAlive())
          .until(
              () -> {
                last.set(conditionOf(type, c.name(), expected.conditionType()));
                return last.get() != null && expected.reason().equals(last.get().getReason());
              });
    } catch (ConditionTimeoutException timeout) {
      // asserted below, with what was seen last
    }
    Condition seen = last.get();
    boolean matched =
        seen != null
            && expected.reason().equals(seen.getReason())
            && seen.getMessage() != null
            && seen.getMessage().contains(expected.fragment())
            && expected.lacksWhatMustBeAbsent(seen.getMessage());
    record(
        c,
        seen == null || "Unknown".equals(seen.getStatus()) ? Outcome.UNANSWERED : Outcome.CONDITION,
        seen == null ? null : seen.getReason(),
        seen == null ? null : seen.getMessage(),
        matched);
    assertThat(seen)
        .as(c + ": no " + expected.conditionType() + " condition within " + ANSWER_WITHIN)
        .isNotNull();
    assertThat(seen.getReason()).as(seen.getMessage()).isEqualTo(expected.reason());
    assertThat(seen.getMessage()).contains(expected.fragment());
    assertThat(expected.lacksWhatMustBeAbsent(seen.getMessage())).as(seen.getMessage()).isTrue();
  }

  private static void answersWithAJsonError(Case c, Call call) throws Exception {
    Expected expected = c.expected();
    Reply response;
    try {
      response = call.transport() == Transport.CLIENT ? send(call) : sendOverSockets(call);
    } catch (IOException e) {
      record(c, Outcome.UNANSWERED, null, e.toString(), false);
      throw new AssertionError(c + " got no answer: " + e, e);
    }
    replies.put(c.name(), response.headers() + "\n\n" + response.body());
    int status = response.status();
    String body = response.body();
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException notJson) {
      json = JSON.createObjectNode();
    }
    String reason = json.path("reason").asText(null);
    String error = json.path("error").asText(null);
    boolean matched =
        status == expected.code()
            && expected.reason().equals(reason)
            && error != null
            && error.contains(expected.fragment())
            && expected.lacksWhatMustBeAbsent(error);
    record(
        c,
        status >= 400 && status < 500
            ? Outcome.HTTP_4XX
            : status < 400 ? Outcome.ACCEPTED : Outcome.UNANSWERED,
        reason,
        status + " " + body,
        matched);
    assertThat(status).as(body).isEqualTo(expected.code());
    assertThat(reason).as(body).isEqualTo(expected.reason());
    assertThat(error).as(body).isNotBlank().contains(expected.fragment());
    assertThat(expected.lacksWhatMustBeAbsent(error)).as(body).isTrue();
  }

  /**
   * An answer of the HTTP API: status, the header block as text, the body, and whether the server
   * said it closes the connection.
   */
  record Reply(int status, String headers, String body, boolean closes) {}

  private static Reply send(Call call) throws IOException, InterruptedException {
    HttpRequest.BodyPublisher body =
        call.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(call.body());
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operatorPort + call.path()))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/octet-stream")
            .method(call.method(), body);
    call.headers().forEach(request::header);
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(
        response.statusCode(), response.headers().map().toString(), response.body(), false);
  }

  /** Sends the call, and then its follow-up, over plain sockets; answers the last reply. */
  private static Reply sendOverSockets(Call call) throws IOException {
    Socket socket = socket();
    try {
      Reply reply = exchange(socket, call);
      if (call.then() == null) {
        return reply;
      }
      if (reply.closes()) {
        socket.close();
        socket = socket();
      }
      return exchange(socket, call.then());
    } finally {
      socket.close();
    }
  }

  private static Socket socket() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), operatorPort);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /**
   * Writes one request (the server may answer, and hang up, before its body ends); reads one reply.
   */
  private static Reply exchange(Socket socket, Call call) throws IOException {
    byte[] body = call.body() == null ? new byte[0] : call.body();
    boolean chunked = call.transport() == Transport.CHUNKED;
    StringBuilder head =
        new StringBuilder(call.method() + " " + call.path() + " HTTP/1.1\r\n")
            .append("Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n")
            .append(
                chunked
                    ? "Transfer-Encoding: chunked\r\n"
                    : "Content-Length: " + body.length + "\r\n")
            .append(call.then() == null ? "Connection: close\r\n" : "");
    call.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    OutputStream out = socket.getOutputStream();
    out.write((head + "\r\n").getBytes(StandardCharsets.US_ASCII));
    try {
      for (int from = 0; from < body.length; from += 64 * 1024) {
        int n = Math.min(64 * 1024, body.length - from);
        if (chunked) {
          out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.write(body, from, n);
        if (chunked) {
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
      }
      if (chunked) {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
    } catch (IOException hungUp) {
      // answered before the end of the body: read the answer
    }
    InputStream in = socket.getInputStream();
    String statusLine = line(in);
    StringBuilder headers = new StringBuilder(statusLine);
    int length = -1;
    boolean chunkedReply = false;
    boolean closes = false;
    for (String line = line(in); !line.isEmpty(); line = line(in)) {
      headers.append('\n').append(line);
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(lower.substring("content-length:".length()).trim());
      }
      chunkedReply |= lower.startsWith("transfer-encoding:") && lower.contains("chunked");
      closes |= lower.startsWith("connection:") && lower.contains("close");
    }
    byte[] data =
        chunkedReply ? dechunk(in) : length >= 0 ? in.readNBytes(length) : in.readAllBytes();
    return new Reply(
        Integer.parseInt(statusLine.substring(9, 12)),
        headers.toString(),
        new String(data, StandardCharsets.UTF_8),
        closes);
  }

  /** One line of an HTTP head, without its CRLF; the server hanging up instead is an error. */
  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException("the server hung up without an answer");
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  /** The data of a chunked body: hex sizes, each chunk followed by CRLF, a 0 chunk at the end. */
  private static byte[] dechunk(InputStream in) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
        size > 0;
        size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
      data.write(in.readNBytes(size));
      line(in);
    }
    return data.toByteArray();
  }

  /** The time left of a case's bound, counted from its creation. */
  private static Duration left(Case c) {
    Duration left = Duration.between(Instant.now(), created.get(c.name()).plus(ANSWER_WITHIN));
    return left.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : left;
  }

  /** How hard the operator reads a ledger the case serves, if any: requests in total and in 2 s. */
  private static String ledgerLoad(Case c) throws InterruptedException {
    int before = hostile.requests(c.name());
    if (before == 0) {
      return "";
    }
    Thread.sleep(2_000);
    int after = hostile.requests(c.name());
    return "; its ledger was asked "
        + after
        + " times so far, "
        + (after - before)
        + " of them in the last 2 s";
  }

  /** For a resource that should have been refused: what the operator made of it. */
  private static String awaitAnyCondition(Case c) {
    Manifest manifest = (Manifest) c.input();
    String type = manifest.kind().equals("Ec2TestRun") ? "Succeeded" : "Ready";
    try {
      Condition condition =
          await()
              .atMost(Duration.ofSeconds(10))
              .pollInterval(Duration.ofMillis(250))
              .until(() -> conditionOf(type(manifest.kind()), c.name(), type), r -> r != null);
      return condition.getReason() + ": " + condition.getMessage();
    } catch (ConditionTimeoutException e) {
      return "nothing within 10 s";
    }
  }

  @SuppressWarnings("unchecked")
  private static Class<? extends CustomResource<?, ?>> type(String kind) {
    return (Class<? extends CustomResource<?, ?>>)
        switch (kind) {
          case "BuildAsset" -> BuildAsset.class;
          case "Ec2TestRun" -> Ec2TestRun.class;
          default -> BalanceReport.class;
        };
  }

  private static Condition conditionOf(
      Class<? extends CustomResource<?, ?>> type, String name, String conditionType) {
    CustomResource<?, ?> resource =
        cluster.client().resources(type).inNamespace(cluster.namespace()).withName(name).get();
    return Resources.condition(resource, conditionType).orElse(null);
  }

  private static void record(
      Case c, Outcome outcome, String reason, String message, boolean asExpected) {
    observed.put(
        c.name(),
        new Observed(
            c.name(),
            c.family(),
            c.expected().outcome().label,
            outcome.label,
            reason,
            message,
            asExpected));
  }

  private static boolean ready() {
    HttpResponse<String> readiness = operator.get("/health/readiness");
    return readiness != null && readiness.statusCode() == 200;
  }

  private static void writeSummary() throws IOException {
    List<Observed> rows = new ArrayList<>();
    for (Case c : cases) {
      rows.add(
          observed.getOrDefault(
              c.name(),
              new Observed(
                  c.name(),
                  c.family(),
                  c.expected().outcome().label,
                  Outcome.UNANSWERED.label,
                  null,
                  "not run",
                  false)));
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("tried", rows.size());
    summary.put("rejectedByApiServer", count(rows, Outcome.REJECTED));
    summary.put("answeredWithCondition", count(rows, Outcome.CONDITION));
    summary.put("answeredWithHttp4xx", count(rows, Outcome.HTTP_4XX));
    summary.put("accepted", count(rows, Outcome.ACCEPTED));
    summary.put("unanswered", count(rows, Outcome.UNANSWERED));
    summary.put("otherThanExpected", rows.stream().filter(r -> !r.asExpected()).count());
    summary.put("cases", rows);
    Path file = Path.of("target", "chaos", "hostile.json");
    Files.createDirectories(file.getParent());
    JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), summary);
  }

  private static long count(List<Observed> rows, Outcome outcome) {
    return rows.stream().filter(r -> r.outcome().equals(outcome.label)).count();
  }

  // ---------------------------------------------------------------------------------------------
  // The hostile server: ledgers and url sources that misbehave, on 127.0.0.1

  /** How the hostile server answers a request for page {@code n} of one case. */
  interface Answer {
    void send(HttpExchange exchange, int n) throws IOException, InterruptedException;
  }

  /** Answers {@code /<case>/<n>.json} as the case's {@link Answer} says; 404 for anything else. */
  static final class HostileServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

    private HostileServer(HttpServer server) {
      this.server = server;
    }

    static HostileServer start() {
      try {
        HttpServer http =
            HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        HostileServer hostile = new HostileServer(http);
        http.createContext("/", hostile::handle);
        http.setExecutor(
            Executors.newCachedThreadPool(
                r -> {
                  Thread t = new Thread(r, "hostile-server");
                  t.setDaemon(true);
                  return t;
                }));
        http.start();
        return hostile;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void answer(String name, Answer answer) {
      answers.put(name, answer);
    }

    int port() {
      return server.getAddress().getPort();
    }

    /** The page URL template of a case. */
    String url(String name) {
      return "http://127.0.0.1:" + port() + "/" + name + "/{page}.json";
    }

    /** The URL of page 1 of a case, for url sources. */
    String firstPage(String name) {
      return url(name).replace("{page}", "1");
    }

    /** How many requests the case's answer has had. */
    int requests(String name) {
      AtomicInteger count = requests.get(name);
      return count == null ? 0 : count.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        String[] parts = exchange.getRequestURI().getPath().split("/");
        Answer answer = parts.length == 3 ? answers.get(parts[1]) : null;
        if (answer == null || !parts[2].matches("\\d{1,6}\\.json")) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        requests.computeIfAbsent(parts[1], n -> new AtomicInteger()).incrementAndGet();
        answer.send(exchange, Integer.parseInt(parts[2].substring(0, parts[2].indexOf('.'))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException e) {
        // the operator hung up, as it should on a hostile answer
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** Serves these pages (page n is the n-th body) and 404 after the last. */
  private static Answer json(String... pages) {
    return (exchange, n) ->
        send(
            exchange,
            n <= pages.length ? 200 : 404,
            n <= pages.length ? pages[n - 1].getBytes(StandardCharsets.UTF_8) : new byte[0]);
  }

  /** Page 1 is the body, with or without a Content-Length; no page 2. */
  /** A ledger page of {@code length} bytes, most of them short strings no ledger needs. */
  private static StaticHttpServer.Body paddedPage(long length) {
    return new StaticHttpServer.Body() {
      public long length() {
        return length;
      }

      public void writeTo(OutputStream out) throws IOException {
        byte[] head = "{\"page\": 1, \"padding\": [".getBytes(StandardCharsets.UTF_8);
        byte[] chunk = ("\"" + "p".repeat(62) + "\",").getBytes(StandardCharsets.UTF_8);
        out.write(head);
        for (long written = head.length; written + chunk.length < length; written += chunk.length) {
          out.write(chunk);
        }
        out.write("\"end\"]}".getBytes(StandardCharsets.UTF_8));
      }
    };
  }

  private static Answer sized(StaticHttpServer.Body body, boolean chunked) {
    return (exchange, n) -> {
      if (n != 1) {
        send(exchange, 404, new byte[0]);
        return;
      }
      exchange.sendResponseHeaders(200, chunked ? 0 : body.length());
      try (OutputStream out = exchange.getResponseBody()) {
        body.writeTo(out);
      }
    };
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  private static void redirect(HttpExchange exchange, String location) throws IOException {
    exchange.getResponseHeaders().add("Location", location);
    exchange.sendResponseHeaders(302, -1);
  }

  /** A valid page sent one byte every 500 ms: never silent for the read timeout, never done. */
  private static void trickle(HttpExchange exchange, int n)
      throws IOException, InterruptedException {
    byte[] body = page(1, 1, tx("2014-01-02", "Slow", "1.00")).getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, body.length);
    OutputStream out = exchange.getResponseBody();
    for (byte b : body) {
      out.write(b);
      out.flush();
      Thread.sleep(500);
    }
  }

  /** Accepts the request and never answers (until the operator gives up). */
  private static void silent(HttpExchange exchange, int n) throws InterruptedException {
    Thread.sleep(20_000);
  }
}
