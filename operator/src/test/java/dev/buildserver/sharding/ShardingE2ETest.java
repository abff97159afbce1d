package dev.buildserver.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.chaos.LocalStack;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ec2.Ec2TestRunStatus;
import dev.buildserver.ec2.LaunchSpec;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.MotoServer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * Scale-out by label selector on the real API server (the stack of {@code make stack}): three
 * operator processes, the main one ({@code !buildserver.dev/shard}) and shards a and b, serve one
 * namespace. Who reconciled what is read from the Events' reportingInstance and from each process's
 * own metrics; instances and objects are counted through the EC2 and S3 APIs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShardingE2ETest {

  private static final String NAMESPACE = "sharded";
  private static final String SHARD = "buildserver.dev/shard";
  private static final List<String> SHARDS = List.of("main", "a", "b");
  private static final String BUCKET = "sharded-assets";
  private static final int ASSETS = 300;
  private static final int RUNS = 30;
  private static final String AWS_SECRET = "sharding-secret";

  private static LocalStack stack;
  private static KubernetesClient kube;
  private static AwsClients aws;
  private static final Map<String, BuilderProcess> PROCESSES = new LinkedHashMap<>();

  @BeforeAll
  static void startThreeShards() {
    stack = LocalStack.start("sharding");
    kube = stack.client();
    kube.namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    MotoServer.useDummyCredentials();
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(stack.motoEndpoint());
    aws = new AwsClients(settings);
    aws.s3(null).createBucket(b -> b.bucket(BUCKET));
    SHARDS.forEach(shard -> PROCESSES.put(shard, start(shard)));
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
  @Order(1)
  void everyResourceIsReconciledByExactlyTheProcessOfItsShard() {
    Map<String, String> shardOf = new HashMap<>();
    for (int i = 0; i < ASSETS; i++) {
      String shard = SHARDS.get(i % SHARDS.size());
      String name = "asset-" + i;
      create(BuildAsset.class, name, shard, asset(name));
      shardOf.put(name, shard);
    }
    for (int i = 0; i < RUNS; i++) {
      String shard = SHARDS.get(i % SHARDS.size());
      String name = "run-" + i;
      create(Ec2TestRun.class, name, shard, run(name));
      shardOf.put(name, shard);
    }

    awaitAll(shardOf.keySet(), Duration.ofMinutes(4));

    Map<String, Set<String>> reporters = reportingInstances();
    shardOf.forEach(
        (name, shard) ->
            assertThat(reporters.get(name))
                .as("the processes that recorded Events on %s (shard %s)", name, shard)
                .containsExactly(instance(shard)));
    for (String shard : SHARDS) {
      String metrics = PROCESSES.get(shard).get("/prometheus").body();
      assertThat(cached(metrics, "BuildAsset", "Ready"))
          .as("BuildAssets in the cache of shard %s", shard)
          .isEqualTo(ASSETS / SHARDS.size());
      assertThat(cached(metrics, "Ec2TestRun", "Complete"))
          .as("Ec2TestRuns in the cache of shard %s", shard)
          .isEqualTo(RUNS / SHARDS.size());
    }
    for (int i = 0; i < ASSETS; i++) {
      String key = "assets/asset-" + i + ".txt";
      assertThat(
              aws.s3(null)
                  .getObject(b -> b.bucket(BUCKET).key(key), ResponseTransformer.toBytes())
                  .asUtf8String())
          .isEqualTo("content of asset-" + i);
    }
    for (int i = 0; i < RUNS; i++) {
      assertThat(instancesOf("run-" + i)).as("instances of run-%d", i).hasSize(1);
    }
  }

  @Test
  @Order(2)
  void aRunRelabelledMidFlightIsTakenOverAndEndsWithOneInstance() {
    String name = "moving";
    int aLogAtRelabel;
    // Shard a cannot reach EC2: the run stays in flight there, retrying.
    stack.awsFaults(1.0, accessKey("a"));
    try {
      create(Ec2TestRun.class, name, "a", run(name));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> status(Ec2TestRun.class, name) != null); // only shard a serves it now
      Ec2TestRun before =
          kube.resources(Ec2TestRun.class).inNamespace(NAMESPACE).withName(name).get();
      assertThat(before.getStatus().getPhase())
          .isNotIn(Ec2TestRunStatus.Phase.Succeeded, Ec2TestRunStatus.Phase.Failed);

      aLogAtRelabel = PROCESSES.get("a").log().length();
      kube.resources(Ec2TestRun.class)
          .inNamespace(NAMESPACE)
          .withName(name)
          .edit(
              r -> {
                r.getMetadata().getLabels().put(SHARD, "b");
                return r;
              });

      awaitAll(Set.of(name), Duration.ofMinutes(2));
    } finally {
      stack.awsFaults(0, accessKey("a"));
    }
    Ec2TestRun done = kube.resources(Ec2TestRun.class).inNamespace(NAMESPACE).withName(name).get();
    String instanceId = done.getStatus().getInstanceId();
    assertThat(done.getStatus().getPhase()).isEqualTo(Ec2TestRunStatus.Phase.Succeeded);
    assertThat(reportingInstances().get(name)).contains(instance("b"));

    // Shard a reaches EC2 again: it must not touch the run it no longer serves.
    sleep(Duration.ofSeconds(8));
    Ec2TestRun after = kube.resources(Ec2TestRun.class).inNamespace(NAMESPACE).withName(name).get();
    assertThat(after.getStatus().getPhase()).isEqualTo(Ec2TestRunStatus.Phase.Succeeded);
    assertThat(after.getStatus().getInstanceId()).isEqualTo(instanceId);
    assertThat(after.getMetadata().getResourceVersion())
        .as("nothing wrote to the run after it was done")
        .isEqualTo(done.getMetadata().getResourceVersion());
    String aSinceRelabel = PROCESSES.get("a").log().substring(aLogAtRelabel);
    // Its in-flight reconcile may still end (and log its AWS error), but writes nothing. A status
    // written for a resource the process no longer caches shows as the SDK failing to find the
    // written version in its cache (pollLocalCache), or as a condition logged by StatusRecorder.
    assertThat(aSinceRelabel)
        .as("shard a wrote no status to the run after it moved (its in-flight reconcile included)")
        .doesNotContain("PrimaryUpdateAndCacheUtils.pollLocalCache")
        .doesNotContainPattern(
            "StatusRecorder - \\[" + NAMESPACE + "/" + name + "\\] Ec2TestRun \\w+=");
    List<Instance> instances = instancesOf(name);
    assertThat(instances).as("instances launched for the moved run").hasSize(1);
    assertThat(instances.get(0).instanceId()).isEqualTo(instanceId);
    assertThat(instances.get(0).state().nameAsString()).isIn("shutting-down", "terminated");
  }

  @Test
  @Order(3)
  void aStoppedShardHoldsOnlyItsOwnResourcesUntilItReturns() {
    BuilderProcess b = PROCESSES.remove("b");
    b.process().destroyForcibly();
    Map<String, String> shardOf = new HashMap<>();
    for (String shard : SHARDS) {
      for (int i = 0; i < 5; i++) {
        String name = "late-" + shard + "-" + i;
        create(BuildAsset.class, name, shard, asset(name));
        shardOf.put(name, shard);
      }
    }
    // A resource of shard b deleted while b is down keeps its finalizer until b returns.
    kube.resources(BuildAsset.class).inNamespace(NAMESPACE).withName("asset-2").delete();

    Set<String> others =
        shardOf.entrySet().stream()
            .filter(e -> !e.getValue().equals("b"))
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    Set<String> ofB =
        shardOf.entrySet().stream()
            .filter(e -> e.getValue().equals("b"))
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    awaitAll(others, Duration.ofMinutes(1));
    sleep(Duration.ofSeconds(3));
    for (String name : ofB) {
      assertThat(status(BuildAsset.class, name)).as("%s while shard b is down", name).isNull();
    }
    assertThat(kube.resources(BuildAsset.class).inNamespace(NAMESPACE).withName("asset-2").get())
        .as("the deleted asset of shard b waits for its finalizer")
        .isNotNull();

    BuilderProcess back = start("b");
    PROCESSES.put("b", back);
    back.awaitReady();
    awaitAll(ofB, Duration.ofMinutes(1));
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                kube.resources(BuildAsset.class).inNamespace(NAMESPACE).withName("asset-2").get()
                    == null);
  }

  @Test
  @Order(4)
  void aLabelSelectorTheApiServerCannotParseStopsTheStartWithOneLine() {
    Map<String, String> env = env("bad");
    env.put("BUILDSERVER_OPERATOR_LABEL_SELECTOR", "buildserver.dev/shard in (a");
    BuilderProcess.Result result = BuilderProcess.run(env, new byte[0], "operator");

    assertThat(result.exitCode()).isEqualTo(4);
    assertThat(result.stderr().lines().filter(l -> l.startsWith("builder: ")))
        .singleElement()
        .asString()
        .contains(
            "buildserver.operator.label-selector 'buildserver.dev/shard in (a' is not a label selector");
  }

  @Test
  @Order(5)
  void aShardHearsOfTheDeletionOfASecretItsAssetCameToNameLater() {
    kube.secrets()
        .inNamespace(NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("early-secret")
                .endMetadata()
                .addToStringData("content", "from a Secret")
                .build())
        .create();
    // The Secret is older than any BuildAsset naming it: shard a's names-only store refuses it.
    sleep(Duration.ofSeconds(2));
    create(
        BuildAsset.class,
        "from-secret",
        "a",
        """
        spec:
          bucket: %s
          key: assets/from-secret.txt
          source: {secretKeyRef: {name: early-secret, key: content}}
        """
            .formatted(BUCKET));
    awaitAll(Set.of("from-secret"), Duration.ofMinutes(1));

    kube.secrets().inNamespace(NAMESPACE).withName("early-secret").delete();

    // Long before the 10-minute resync: the deletion itself reached the BuildAsset.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                status(BuildAsset.class, "from-secret").getConditions().stream()
                    .anyMatch(
                        c ->
                            "Ready".equals(c.getType()) && "SourceNotFound".equals(c.getReason())));
  }

  private static BuilderProcess start(String shard) {
    Map<String, String> env = env(shard);
    env.put(
        "BUILDSERVER_OPERATOR_LABEL_SELECTOR",
        shard.equals("main") ? "!" + SHARD : SHARD + "=" + shard);
    return BuilderProcess.start(
        "sharding-" + shard, BuilderProcess.freePort(), env, List.of("-Xmx256m"), "operator");
  }

  private static Map<String, String> env(String shard) {
    Map<String, String> env = new HashMap<>();
    env.put("KUBECONFIG", stack.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", stack.motoEndpoint().toString());
    env.put("AWS_ACCESS_KEY_ID", accessKey(shard));
    env.put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
    env.put("AWS_REGION", "us-east-1");
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", NAMESPACE);
    env.put("MICRONAUT_SERVER_HOST", "127.0.0.1");
    env.put("POD_NAME", instance(shard));
    return env;
  }

  private static String accessKey(String shard) {
    return "shard-" + shard;
  }

  private static String instance(String shard) {
    return "operator-" + shard;
  }

  private static String asset(String name) {
    return """
        spec:
          bucket: %s
          key: assets/%s.txt
          source: {inline: "content of %s"}
        """
        .formatted(BUCKET, name, name);
  }

  private static String run(String name) {
    return """
        spec:
          region: us-east-1
          launchTemplate: {name: buildserver-example, version: $Latest}
          instanceType: t2.micro
          tags: {sharding: "%s"}
          expect: {instanceType: t2.micro, tags: {sharding: "%s"}}
          timeouts: {running: 3m, total: 10m}
          terminate: Always
        """
        .formatted(name, name);
  }

  private static <R extends CustomResource<?, ?>> void create(
      Class<R> type, String name, String shard, String spec) {
    String labels = shard.equals("main") ? "{}" : "{\"" + SHARD + "\": \"" + shard + "\"}";
    String yaml =
        "apiVersion: buildserver.dev/v1alpha1\nkind: %s\nmetadata: {name: %s, namespace: %s, labels: %s}\n%s"
            .formatted(HasMetadata.getKind(type), name, NAMESPACE, labels, spec);
    kube.resources(type)
        .inNamespace(NAMESPACE)
        .resource(kube.getKubernetesSerialization().unmarshal(yaml, type))
        .create();
  }

  /** Waits until every named BuildAsset is Ready and every named Ec2TestRun is Succeeded. */
  private static void awaitAll(Set<String> names, Duration within) {
    await()
        .atMost(within)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              Set<String> done = new TreeSet<>();
              kube.resources(BuildAsset.class).inNamespace(NAMESPACE).list().getItems().stream()
                  .filter(a -> isTrue(a, "Ready"))
                  .forEach(a -> done.add(a.getMetadata().getName()));
              kube.resources(Ec2TestRun.class).inNamespace(NAMESPACE).list().getItems().stream()
                  .filter(
                      r ->
                          r.getStatus() != null
                              && r.getStatus().getPhase() == Ec2TestRunStatus.Phase.Succeeded)
                  .forEach(r -> done.add(r.getMetadata().getName()));
              return done.containsAll(names);
            });
  }

  private static boolean isTrue(BuildAsset asset, String type) {
    return asset.getStatus() != null
        && asset.getStatus().getConditions().stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static <R extends CustomResource<?, S>, S> S status(Class<R> type, String name) {
    R resource = kube.resources(type).inNamespace(NAMESPACE).withName(name).get();
    return resource == null ? null : resource.getStatus();
  }

  /** The reportingInstance of every Event, by the name of the object it is about. */
  private static Map<String, Set<String>> reportingInstances() {
    Map<String, Set<String>> byObject = new HashMap<>();
    for (Event event : kube.v1().events().inNamespace(NAMESPACE).list().getItems()) {
      byObject
          .computeIfAbsent(event.getInvolvedObject().getName(), k -> new TreeSet<>())
          .add(String.valueOf(event.getReportingInstance()));
    }
    return byObject;
  }

  /** How many resources of a kind one process holds: its buildserver_resources, all statuses. */
  private static long cached(String metrics, String kind, String condition) {
    Pattern gauge = Pattern.compile("(?m)^buildserver_resources\\{([^}]*)\\} ([0-9.eE+-]+)$");
    Matcher m = gauge.matcher(metrics);
    double total = 0;
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("kind=\"" + kind + "\"")
          && labels.contains("condition=\"" + condition + "\"")) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return Math.round(total);
  }

  /** The instances launched for a run, terminated ones included, found by its owner tag. */
  private static List<Instance> instancesOf(String run) {
    List<Instance> found = new ArrayList<>();
    aws.ec2(null)
        .describeInstancesPaginator(
            b ->
                b.filters(
                    Filter.builder()
                        .name("tag:" + LaunchSpec.OWNER_TAG)
                        .values(NAMESPACE + "/" + run)
                        .build()))
        .reservations()
        .forEach(r -> found.addAll(r.instances()));
    return found;
  }

  private static void sleep(Duration duration) {
    await().pollDelay(duration).atMost(duration.plusSeconds(5)).until(() -> true);
  }
}
