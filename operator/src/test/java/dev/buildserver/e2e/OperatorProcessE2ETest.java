package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.status.Finalizers;
import dev.buildserver.status.Pause;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.PrometheusText;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code builder operator} as a separate JVM against the real API server and moto: it becomes
 * ready, tracks every kind, serves health and metrics, and stops cleanly on SIGTERM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorProcessE2ETest {

  private static KubernetesClient client;
  private static String namespace;
  private static BuilderProcess operator;
  private static Map<String, String> env;

  @BeforeAll
  static void startOperator() {
    KubeApi api = KubeApi.get();
    client = api.client();
    namespace = api.newNamespace("operator");
    MotoServer.get().reset(); // the examples use fixed bucket names
    AwsSettings aws = new AwsSettings();
    aws.setEndpoint(MotoServer.get().endpoint());
    Ec2Examples.createLaunchTemplate(new AwsClients(aws));
    env =
        Map.of(
            "KUBECONFIG",
            api.kubeconfig().toString(),
            "BUILDSERVER_AWS_ENDPOINT",
            MotoServer.get().endpoint().toString(),
            "AWS_ACCESS_KEY_ID",
            "testing",
            "AWS_SECRET_ACCESS_KEY",
            "testing",
            "AWS_REGION",
            "us-east-1",
            "BUILDSERVER_OPERATOR_WATCH_NAMESPACES",
            namespace,
            // The test ledger is on loopback, which the operator refuses unless allow-listed.
            "BUILDSERVER_OUTBOUND_ALLOW_HOSTS",
            "127.0.0.1");
    operator = BuilderProcess.start("operator-e2e", BuilderProcess.freePort(), env, "operator");
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .failFast("the operator process exited", () -> !operator.process().isAlive())
        .until(() -> status(operator.get("/health/readiness")) == 200);
  }

  @AfterAll
  static void killOperator() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  @Order(1)
  void reportsLiveAndReadyWithOperatorDetails() {
    HttpResponse<String> readiness = operator.get("/health/readiness");
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(readiness.body()).contains("\"operator\"").contains("\"eventSourcesHealthy\":true");
    HttpResponse<String> liveness = operator.get("/health/liveness");
    assertThat(liveness.statusCode()).isEqualTo(200);
    assertThat(liveness.body()).contains("RUNNING");
  }

  @Test
  @Order(1)
  void servesTheVersionAndCommitItWasBuiltFrom() throws Exception {
    HttpResponse<String> info = operator.get("/info");
    assertThat(info.statusCode()).isEqualTo(200);
    String chart =
        java.nio.file.Files.readString(
            dev.buildserver.testing.RepoFiles.repo().resolve("helm/buildserver/Chart.yaml"));
    String appVersion = chart.replaceAll("(?s).*\nappVersion: \"([^\"]+)\".*", "$1");
    assertThat(info.body())
        .contains("\"build\":{\"version\":\"" + appVersion + "\"}")
        .contains("\"commit\":{\"id\":{\"abbrev\":\"");
  }

  @Test
  @Order(1)
  void startsWithOneKubernetesHttpClientChosenOnPurpose() {
    // With both the JDK and the Vert.x factories on the class path, fabric8 warns at every start
    // that it picked one at random; the jar now carries the JDK one only.
    assertThat(operator.log()).contains("Operator started").doesNotContain("chosen randomly");
  }

  @Test
  @Order(2)
  void reconcilesEveryExampleWithFinalizerObservedGenerationAndAnEvent() {
    var examples = RepoFiles.examples();
    assertTracked(
        Resources.load(examples.resolve("put-asset.yaml"), BuildAsset.class), "Uploaded", "Normal");
    assertTracked(
        Resources.load(examples.resolve("ec2-test-run.yaml"), Ec2TestRun.class),
        "Finished",
        "Normal");
    try (LedgerServer ledger =
        LedgerServer.start().serveFiles(examples.resolve("ledger/transactions"))) {
      BalanceReport report = Resources.exampleBalanceReport(ledger);
      assertTracked(report, "Synced", "Normal");
    }
  }

  @Test
  @Order(3)
  void reportsPausedAndReleasesTheFinalizerOnDelete() {
    BuildAsset asset =
        Resources.load(RepoFiles.examples().resolve("put-asset.yaml"), BuildAsset.class);
    asset.getMetadata().setName("paused-asset");
    asset.getMetadata().setNamespace(namespace);
    asset.getMetadata().setAnnotations(Map.of(Pause.ANNOTATION, "true"));
    client.resource(asset).create();
    await()
        .atMost(KubeApi.WAIT)
        .until(() -> reason(client.resource(asset).get()), Pause.REASON::equals);

    client.resource(asset).delete();
    await().atMost(KubeApi.WAIT).until(() -> client.resource(asset).get() == null);
  }

  @Test
  @Order(4)
  void servesPrometheusMetricsOfTheJvmAndTheReconcilers() {
    HttpResponse<String> metrics = operator.get("/prometheus");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes").contains("operator_sdk_");
  }

  /**
   * After the examples of test 2 (one asset, one EC2 run, one report over the 3-page sample ledger)
   * and the paused asset of test 3, the domain metrics count exactly those calls.
   */
  @Test
  @Order(4)
  void countsAwsCallsRunsBytesPagesAndResourcesByCondition() {
    PrometheusText metrics = new PrometheusText(operator.get("/prometheus").body());
    assertThat(
            metrics.sum(
                "buildserver_aws_requests_total",
                Map.of("service", "EC2", "operation", "RunInstances", "outcome", "success")))
        .isEqualTo(1);
    assertThat(
            metrics.sum(
                "buildserver_aws_request_seconds_count",
                Map.of("service", "EC2", "operation", "TerminateInstances")))
        .isEqualTo(1);
    assertThat(
            metrics.sum(
                "buildserver_aws_requests_total",
                Map.of("service", "S3", "operation", "PutObject", "outcome", "success")))
        .isEqualTo(1);
    assertThat(metrics.sum("buildserver_aws_requests_total", Map.of("outcome", "throttled")))
        .isZero();
    // The HEAD that finds no object yet is a 404: a client error, not a server one.
    assertThat(metrics.sum("buildserver_aws_requests_total", Map.of("outcome", "server_error")))
        .isZero();
    assertThat(metrics.sum("buildserver_ec2_test_runs_total", Map.of("result", "succeeded")))
        .isEqualTo(1);
    assertThat(metrics.sum("buildserver_ec2_test_runs_total", Map.of("result", "failed"))).isZero();
    assertThat(metrics.sum("buildserver_ec2_time_to_running_seconds_count")).isEqualTo(1);
    BuildAsset example =
        Resources.load(RepoFiles.examples().resolve("put-asset.yaml"), BuildAsset.class);
    assertThat(metrics.sum("buildserver_asset_bytes_uploaded_total"))
        .isEqualTo(example.getSpec().source().inline().getBytes(StandardCharsets.UTF_8).length);
    assertThat(metrics.sum("buildserver_ledger_pages_fetched_total")).isEqualTo(3);
    assertThat(
            metrics.sum(
                "buildserver_resources",
                Map.of("kind", "BuildAsset", "condition", "Ready", "status", "True")))
        .isEqualTo(1);
    assertThat(
            metrics.sum(
                "buildserver_resources",
                Map.of("kind", "BalanceReport", "condition", "Ready", "status", "True")))
        .isEqualTo(1);
    assertThat(
            metrics.sum(
                "buildserver_resources",
                Map.of("kind", "Ec2TestRun", "condition", "Succeeded", "status", "True")))
        .isEqualTo(1);
    assertThat(metrics.sum("buildserver_resources", Map.of("status", "False"))).isZero();
  }

  @Test
  @Order(5)
  void refusesToStartOnAPortInUseWithOneClearLine() throws InterruptedException {
    int busyPort = Integer.parseInt(operator.get("/health/liveness").uri().getPort() + "");
    try (BuilderProcess second =
        BuilderProcess.start("operator-port-in-use", busyPort, env, "operator")) {
      assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(second.process().exitValue()).isEqualTo(3);
      assertThat(second.log()).contains("builder: cannot serve HTTP on port " + busyPort);
    }
  }

  @Test
  @Order(100)
  void stopsGracefullyOnSigterm() throws InterruptedException {
    operator.process().destroy(); // SIGTERM
    assertThat(operator.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(operator.log()).contains("Shutting down").contains("Operator stopped");
  }

  private static <T extends CustomResource<?, ?>> void assertTracked(
      T resource, String reason, String eventType) {
    resource.getMetadata().setNamespace(namespace);
    client.resource(resource).create();
    T current =
        await()
            .atMost(KubeApi.WAIT)
            .until(() -> client.resource(resource).get(), r -> reason(r) != null);
    assertThat(current.getMetadata().getFinalizers()).contains(Finalizers.NAME);
    var status = (dev.buildserver.status.ResourceStatus) current.getStatus();
    assertThat(status.getObservedGeneration()).isEqualTo(current.getMetadata().getGeneration());
    assertThat(reason(current)).isEqualTo(reason);
    await()
        .atMost(KubeApi.WAIT)
        .until(
            () ->
                client.v1().events().inNamespace(namespace).list().getItems().stream()
                    .anyMatch(
                        e ->
                            resource.getMetadata().getName().equals(e.getInvolvedObject().getName())
                                && reason.equals(e.getReason())
                                && eventType.equals(e.getType())));
  }

  private static String reason(CustomResource<?, ?> resource) {
    String type = resource instanceof Ec2TestRun ? "Complete" : "Ready";
    String reason = Resources.condition(resource, type).map(Condition::getReason).orElse(null);
    // a run is tracked once it finished
    return resource instanceof Ec2TestRun && !"Finished".equals(reason) ? null : reason;
  }

  private static int status(HttpResponse<String> response) {
    return response == null ? -1 : response.statusCode();
  }
}
