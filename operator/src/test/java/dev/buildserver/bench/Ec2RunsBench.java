package dev.buildserver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ec2.InstanceLauncher;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.PrometheusText;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 100 Ec2TestRuns of the example at once against one operator process (chart JVM options): the time
 * until every run is Complete, and what it cost EC2, counted by the operator's
 * buildserver_aws_requests_total and checked through the EC2 API (instances launched, still
 * running).
 */
@Tag("bench")
class Ec2RunsBench {

  private static final int RUNS = 100;

  @Test
  void runsAHundredSmokeTestsAtOnce() throws Exception {
    MotoServer.get().reset();
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(MotoServer.get().endpoint());
    settings.setRegion("us-east-1");
    AwsClients aws = new AwsClients(settings);
    Ec2Examples.createLaunchTemplate(aws);
    KubernetesClient client = KubeApi.get().client();
    String namespace = KubeApi.get().newNamespace("bench-ec2");
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", KubeApi.get().kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", namespace);
    try (BuilderProcess operator =
        BuilderProcess.start(
            "bench-ec2-operator",
            BuilderProcess.freePort(),
            env,
            RepoFiles.chartJvmOptions(),
            "operator")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (operator.get("/health/readiness") == null
          || operator.get("/health/readiness").statusCode() != 200) {
        assertThat(System.nanoTime()).as("operator ready in 90 s").isLessThan(deadline);
        Thread.sleep(200);
      }
      long start = System.nanoTime();
      for (int i = 0; i < RUNS; i++) {
        Ec2TestRun run =
            Resources.load(RepoFiles.examples().resolve("ec2-test-run.yaml"), Ec2TestRun.class);
        run.getMetadata().setName("smoke-" + i);
        run.getMetadata().setNamespace(namespace);
        client.resource(run).create();
      }
      Map<String, String> complete =
          Map.of("kind", "Ec2TestRun", "condition", "Complete", "status", "True");
      deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
      PrometheusText metrics = new PrometheusText(operator.get("/prometheus").body());
      while (metrics.sum("buildserver_resources", complete) < RUNS) {
        assertThat(System.nanoTime()).as("all runs Complete in 15 min").isLessThan(deadline);
        assertThat(operator.process().isAlive()).isTrue();
        Thread.sleep(500);
        metrics = new PrometheusText(operator.get("/prometheus").body());
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double calls = metrics.sum("buildserver_aws_requests_total", Map.of("service", "EC2"));
      double succeeded =
          metrics.sum("buildserver_ec2_test_runs_total", Map.of("result", "succeeded"));
      var instances = new InstanceLauncher(aws).ownedInstances("us-east-1");
      long running = instances.stream().filter(i -> !"terminated".equals(i.state())).count();
      List<String> report = new ArrayList<>();
      report.add("## 100 Ec2TestRuns at once");
      report.add("");
      report.add("| figure | value | goal |");
      report.add("|---|---:|---:|");
      report.add(String.format("| all %d Complete after | %.1f s | reported |", RUNS, seconds));
      report.add(
          String.format("| EC2 requests per run (every attempt) | %.2f | ≤ 7 |", calls / RUNS));
      report.add(String.format("| runs Succeeded | %.0f | %d |", succeeded, RUNS));
      report.add(
          String.format(
              "| instances launched (EC2 API, by owner tag) | %d | %d |", instances.size(), RUNS));
      report.add(String.format("| instances not terminated | %d | 0 |", running));
      report.add("");
      report.add(
          "At most `buildserver.ec2.max-active-runs-per-region` (5) runs hold an instance at once,"
              + " so 100 runs go in waves; the time is mostly that queue.");
      Bench.write("ec2-runs", report, null);
      assertThat(instances).hasSize(RUNS);
      assertThat(running).isZero();
    }
  }
}
