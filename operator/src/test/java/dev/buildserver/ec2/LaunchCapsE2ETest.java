package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.chaos.LocalStack;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.MotoServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * The launch caps hold across processes: three shard processes serve 20 Ec2TestRuns in two
 * namespaces, every run keeping its instance ({@code terminate: Never}), with at most 5 active
 * instances per region and 3 per namespace. EC2 is sampled every 100 ms throughout; while the test
 * terminates instances to free slots, no sample ever shows more than the caps allow, and every run
 * ends with exactly one instance. A type off {@code allowed-instance-types} launches nothing.
 */
class LaunchCapsE2ETest {

  private static final String SHARD = "buildserver.dev/shard";
  private static final List<String> SHARDS = List.of("main", "a", "b");
  private static final List<String> NAMESPACES = List.of("caps-x", "caps-y");
  private static final int RUNS = 20;
  private static final int PER_REGION = 5;
  private static final int PER_NAMESPACE = 3;

  private static LocalStack stack;
  private static KubernetesClient kube;
  private static AwsClients aws;
  private static final Map<String, BuilderProcess> PROCESSES = new LinkedHashMap<>();

  @BeforeAll
  static void startThreeShards() {
    stack = LocalStack.start("caps");
    kube = stack.client();
    NAMESPACES.forEach(
        ns ->
            kube.namespaces()
                .resource(
                    new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .create());
    MotoServer.useDummyCredentials();
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(stack.motoEndpoint());
    aws = new AwsClients(settings);
    for (String shard : SHARDS) {
      Map<String, String> env = new HashMap<>();
      env.put("KUBECONFIG", stack.kubeconfig().toString());
      env.put("BUILDSERVER_AWS_ENDPOINT", stack.motoEndpoint().toString());
      env.put("AWS_ACCESS_KEY_ID", "caps-" + shard);
      env.put("AWS_SECRET_ACCESS_KEY", "caps-secret");
      env.put("AWS_REGION", "us-east-1");
      env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", String.join(",", NAMESPACES));
      env.put(
          "BUILDSERVER_OPERATOR_LABEL_SELECTOR",
          shard.equals("main") ? "!" + SHARD : SHARD + "=" + shard);
      env.put("BUILDSERVER_EC2_MAX_ACTIVE_RUNS_PER_REGION", Integer.toString(PER_REGION));
      env.put("BUILDSERVER_EC2_MAX_ACTIVE_RUNS_PER_NAMESPACE", Integer.toString(PER_NAMESPACE));
      env.put("BUILDSERVER_EC2_ALLOWED_INSTANCE_TYPES", "t2.micro");
      env.put("BUILDSERVER_API_TOKEN", "caps-token");
      env.put("POD_NAME", "caps-" + shard);
      PROCESSES.put(
          shard,
          BuilderProcess.start(
              "caps-" + shard, BuilderProcess.freePort(), env, List.of("-Xmx256m"), "operator"));
    }
    PROCESSES.values().forEach(BuilderProcess::awaitReady);
  }

  @AfterAll
  static void stopAll() {
    PROCESSES.values().forEach(BuilderProcess::close);
    if (aws != null) {
      aws.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void noSampledMomentShowsMoreInstancesThanTheCapsAllow() throws Exception {
    AtomicBoolean sampling = new AtomicBoolean(true);
    AtomicInteger mostInRegion = new AtomicInteger();
    Map<String, AtomicInteger> mostInNamespace = new HashMap<>();
    NAMESPACES.forEach(ns -> mostInNamespace.put(ns, new AtomicInteger()));
    AtomicInteger samples = new AtomicInteger();
    Thread sampler =
        new Thread(
            () -> {
              while (sampling.get()) {
                List<Instance> running = active();
                mostInRegion.accumulateAndGet(running.size(), Math::max);
                for (String ns : NAMESPACES) {
                  int in = (int) running.stream().filter(i -> ns.equals(namespaceOf(i))).count();
                  mostInNamespace.get(ns).accumulateAndGet(in, Math::max);
                }
                samples.incrementAndGet();
                sleep(100);
              }
            },
            "ec2-sampler");
    sampler.setDaemon(true);
    sampler.start();

    for (int i = 0; i < RUNS; i++) {
      create(NAMESPACES.get(i % 2), "run-" + i, SHARDS.get(i % 3), "t2.micro");
    }
    try {
      // Free a slot whenever launches stall, as a person ending kept instances would, until
      // every run has had its instance.
      Instant deadline = Instant.now().plus(Duration.ofMinutes(4));
      int seen = owned().size();
      int idle = 0;
      while (seen < RUNS) {
        assertThat(Instant.now()).as("every run launched within 4 minutes").isBefore(deadline);
        sleep(500);
        int now = owned().size();
        idle = now == seen ? idle + 1 : 0;
        seen = now;
        if (idle >= 3) {
          active().stream()
              .min(java.util.Comparator.comparing(Instance::launchTime))
              .ifPresent(
                  oldest ->
                      aws.ec2("us-east-1")
                          .terminateInstances(b -> b.instanceIds(oldest.instanceId())));
          idle = 0;
        }
      }
    } finally {
      sampling.set(false);
      sampler.join(5_000);
    }
    System.out.printf(
        "launch caps: %d samples, at most %d active in the region (cap %d), %s per namespace"
            + " (cap %d)%n",
        samples.get(), mostInRegion.get(), PER_REGION, mostInNamespace, PER_NAMESPACE);
    assertThat(mostInRegion.get()).isEqualTo(PER_REGION); // reached, never passed
    mostInNamespace.values().forEach(n -> assertThat(n.get()).isLessThanOrEqualTo(PER_NAMESPACE));
    for (int i = 0; i < RUNS; i++) {
      String ns = NAMESPACES.get(i % 2);
      assertThat(instancesOf(ns + "/run-" + i)).as("instances of %s/run-%d", ns, i).hasSize(1);
    }
  }

  @Test
  void aTypeOffTheAllowListLaunchesNothing() {
    create("caps-x", "too-big", "main", "m5.24xlarge");
    Ec2TestRun done =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    kube.resources(Ec2TestRun.class)
                        .inNamespace("caps-x")
                        .withName("too-big")
                        .get(),
                r ->
                    r.getStatus() != null
                        && r.getStatus().getPhase() == Ec2TestRunStatus.Phase.Failed);
    assertThat(done.getStatus().getMessage()).contains("m5.24xlarge is not allowed");
    assertThat(instancesOf("caps-x/too-big")).isEmpty();
  }

  private static void create(String namespace, String name, String shard, String type) {
    String labels = shard.equals("main") ? "{}" : "{\"" + SHARD + "\": \"" + shard + "\"}";
    String yaml =
        """
        apiVersion: buildserver.dev/v1alpha1
        kind: Ec2TestRun
        metadata: {name: %s, namespace: %s, labels: %s}
        spec:
          region: us-east-1
          imageId: ami-12c6146b
          instanceType: %s
          terminate: Never
          timeouts: {running: 3m, total: 10m}
        """
            .formatted(name, namespace, labels, type);
    kube.resources(Ec2TestRun.class)
        .inNamespace(namespace)
        .resource(kube.getKubernetesSerialization().unmarshal(yaml, Ec2TestRun.class))
        .create();
  }

  private static List<Instance> owned() {
    List<Instance> found = new ArrayList<>();
    aws.ec2("us-east-1")
        .describeInstancesPaginator(
            b ->
                b.filters(
                    Filter.builder().name("tag-key").values(LaunchSpec.OWNER_UID_TAG).build()))
        .reservations()
        .forEach(r -> found.addAll(r.instances()));
    return found;
  }

  private static List<Instance> active() {
    return owned().stream().filter(i -> !"terminated".equals(i.state().nameAsString())).toList();
  }

  private static List<Instance> instancesOf(String owner) {
    return owned().stream()
        .filter(
            i ->
                i.tags().stream()
                    .anyMatch(t -> t.key().equals(LaunchSpec.OWNER_TAG) && t.value().equals(owner)))
        .toList();
  }

  private static String namespaceOf(Instance instance) {
    return instance.tags().stream()
        .filter(t -> t.key().equals(LaunchSpec.OWNER_TAG))
        .map(t -> t.value().substring(0, t.value().indexOf('/')))
        .findFirst()
        .orElse("");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
