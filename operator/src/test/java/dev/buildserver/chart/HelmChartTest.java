package dev.buildserver.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.buildserver.testing.RepoFiles;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The chart rendered by real Helm (helm-java, in-process): lint and template. */
class HelmChartTest {

  static final Path CHART = RepoFiles.repo().resolve("helm/buildserver");

  @Test
  void lintsClean() {
    var result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @Test
  void theDeploymentMeetsThePodSecurityRestrictedProfile() {
    Deployment deployment = one(render(t -> t), Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var container = pod.getContainers().get(0);
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/liveness");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/readiness");
    assertThat(container.getResources().getLimits()).containsKey("memory");
    assertThat(container.getArgs()).containsExactly("operator");
    assertThat(env(deployment))
        .containsEntry("BUILDSERVER_LOG_FORMAT", "json")
        .containsEntry("BUILDSERVER_OPERATOR_LEADER_ELECTION_ENABLED", "false");
  }

  @Test
  void grantsOnlyTheVerbsTheOperatorUses() {
    ClusterRole role = one(render(t -> t), ClusterRole.class);
    Map<String, List<String>> rules = rules(role.getRules());
    assertThat(rules)
        .containsOnlyKeys(
            "buildserver.dev/buildassets",
            "buildserver.dev/ec2testruns",
            "buildserver.dev/balancereports",
            "buildserver.dev/buildassets/status",
            "buildserver.dev/ec2testruns/status",
            "buildserver.dev/balancereports/status",
            "buildserver.dev/buildassets/finalizers",
            "buildserver.dev/ec2testruns/finalizers",
            "buildserver.dev/balancereports/finalizers",
            "/configmaps",
            "/secrets",
            "/events",
            "/serviceaccounts",
            "/serviceaccounts/token");
    assertThat(rules.get("/secrets")).containsExactlyInAnyOrder("get", "list", "watch");
    // Workload identity: read a ServiceAccount's role, and ask for its token; nothing more.
    assertThat(rules.get("/serviceaccounts")).containsExactly("get");
    assertThat(rules.get("/serviceaccounts/token")).containsExactly("create");
    assertThat(rules.get("/events")).containsExactlyInAnyOrder("create", "patch");
    assertThat(rules.values()).noneMatch(verbs -> verbs.contains("*"));
    // The launch slots of Ec2TestRuns live in Leases of the release namespace, replicas or not.
    Role leases = one(render(t -> t), Role.class);
    assertThat(leases.getMetadata().getName()).endsWith("-leases");
    assertThat(rules(leases.getRules()))
        .containsExactly(
            Map.entry("coordination.k8s.io/leases", List.of("create", "get", "update")));
  }

  @Test
  void watchNamespacesYieldARoleAndBindingPerNamespaceAndNoClusterRole() {
    List<HasMetadata> objects =
        render(t -> t.set("watchNamespaces[0]", "team-a").set("watchNamespaces[1]", "team-b"));
    assertThat(objects).noneMatch(o -> o.getKind().startsWith("Cluster"));
    assertThat(
            objects.stream()
                .filter(o -> o instanceof Role && !o.getMetadata().getName().endsWith("-leases"))
                .map(o -> o.getMetadata().getNamespace()))
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(
            objects.stream()
                .filter(
                    o ->
                        o.getKind().equals("RoleBinding")
                            && !o.getMetadata().getName().endsWith("-leases"))
                .map(o -> o.getMetadata().getNamespace()))
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(env(one(objects, Deployment.class)))
        .containsEntry("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", "team-a,team-b");
  }

  @Test
  void oneReplicaStopsTheOldPodBeforeTheNewOneStarts() {
    Deployment deployment = one(render(t -> t), Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(env(deployment))
        .containsEntry("BUILDSERVER_OPERATOR_LEADER_ELECTION_ENABLED", "false");
  }

  @Test
  void startsTheImageLauncherWithTheChartsJvmOptions() {
    Deployment deployment = one(render(t -> t), Deployment.class);
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    // bin/builder adds compact headers and the AOT cache the image trained (ImageStartE2ETest).
    assertThat(container.getCommand()).containsExactly("/app/bin/builder");
    assertThat(container.getArgs()).containsExactly("operator");
    assertThat(env(deployment))
        .containsEntry(
            "JAVA_OPTS",
            String.join(" ", RepoFiles.chartJvmOptions()).replaceFirst(" -XX:MaxRAM=\\d+m$", ""));
  }

  @Test
  void moreThanOneReplicaElectsALeaderThroughALease() {
    List<HasMetadata> objects = render(t -> t.set("replicas", 2));
    Deployment deployment = one(objects, Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(env(deployment))
        .containsEntry("BUILDSERVER_OPERATOR_LEADER_ELECTION_ENABLED", "true");
    assertThat(deployment.getSpec().getStrategy()).isNull(); // rolling: the Lease keeps one leader
    Role lease =
        objects.stream()
            .filter(o -> o instanceof Role)
            .map(Role.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(rules(lease.getRules()))
        .containsExactly(
            Map.entry("coordination.k8s.io/leases", List.of("create", "get", "update")));
  }

  @Test
  void shardingRunsADeploymentPerShardWithItsOwnSelectorLeaseAndBudget() {
    List<HasMetadata> objects =
        render(
            t ->
                t.set("sharding.shards[0]", "a").set("sharding.shards[1]", "b").set("replicas", 2));
    List<Deployment> deployments =
        objects.stream().filter(o -> o instanceof Deployment).map(Deployment.class::cast).toList();
    assertThat(deployments)
        .extracting(d -> d.getMetadata().getName())
        .containsExactly("buildserver", "buildserver-shard-a", "buildserver-shard-b");
    assertThat(deployments)
        .extracting(d -> env(d).get("BUILDSERVER_OPERATOR_LABEL_SELECTOR"))
        .containsExactly(
            "!buildserver.dev/shard", "buildserver.dev/shard=a", "buildserver.dev/shard=b");
    assertThat(deployments)
        .extracting(d -> env(d).get("BUILDSERVER_OPERATOR_LEADER_ELECTION_LEASE_NAME"))
        .containsExactly(
            "buildserver-operator", "buildserver-operator-shard-a", "buildserver-operator-shard-b");
    for (Deployment deployment : deployments) {
      Map<String, String> selector = deployment.getSpec().getSelector().getMatchLabels();
      for (Deployment other : deployments) {
        Map<String, String> podLabels = other.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels.entrySet().containsAll(selector.entrySet()))
            .as(
                "%s selects the pods of %s",
                deployment.getMetadata().getName(), other.getMetadata().getName())
            .isEqualTo(deployment == other);
      }
      var spread = deployment.getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
      assertThat(spread)
          .singleElement()
          .satisfies(c -> assertThat(c.getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    }
    List<PodDisruptionBudget> budgets =
        objects.stream()
            .filter(o -> o instanceof PodDisruptionBudget)
            .map(PodDisruptionBudget.class::cast)
            .toList();
    assertThat(budgets)
        .extracting(b -> b.getSpec().getSelector().getMatchLabels())
        .containsExactlyElementsOf(
            deployments.stream().map(d -> d.getSpec().getSelector().getMatchLabels()).toList());
    assertThat(budgets)
        .allSatisfy(b -> assertThat(b.getSpec().getMinAvailable().getIntVal()).isEqualTo(1));
  }

  @Test
  void withoutShardsOneDeploymentKeepsItsSelectorAndServesEverything() {
    List<HasMetadata> objects = render(t -> t);
    Deployment deployment = one(objects, Deployment.class);
    assertThat(deployment.getSpec().getSelector().getMatchLabels())
        .as("the selector of earlier releases: a Deployment's selector cannot change")
        .containsOnlyKeys("app.kubernetes.io/name", "app.kubernetes.io/instance");
    assertThat(env(deployment)).doesNotContainKey("BUILDSERVER_OPERATOR_LABEL_SELECTOR");
    assertThat(objects).noneMatch(o -> o instanceof PodDisruptionBudget);
  }

  @Test
  void aShardNameThatCannotBeALabelValueStopsTheRender() {
    assertThatThrownBy(() -> render(t -> t.set("sharding.shards[0]", "Team_A")))
        .hasMessageContaining("sharding.shards: \"Team_A\" is not a shard name");
    assertThatThrownBy(
            () -> render(t -> t.set("sharding.shards[0]", "a").set("sharding.shards[1]", "a")))
        .hasMessageContaining("sharding.shards: \"a\" is listed twice");
  }

  @Test
  void refusesPrivateNetworksByDefaultExceptForAllowListedHosts() {
    assertThat(env(one(render(t -> t), Deployment.class)))
        .containsEntry("BUILDSERVER_OUTBOUND_DENY_PRIVATE_NETWORKS", "true");
    Deployment allowing =
        one(
            render(
                t ->
                    t.set("outbound.allowHosts[0]", "ledger.finance.svc.cluster.local")
                        .set("outbound.allowHosts[1]", "*.artifacts.internal")),
            Deployment.class);
    assertThat(env(allowing))
        .containsEntry("BUILDSERVER_OUTBOUND_DENY_PRIVATE_NETWORKS", "true")
        .containsEntry(
            "BUILDSERVER_OUTBOUND_ALLOW_HOSTS",
            "ledger.finance.svc.cluster.local,*.artifacts.internal");
    assertThat(
            env(one(render(t -> t.set("outbound.denyPrivateNetworks", false)), Deployment.class)))
        .containsEntry("BUILDSERVER_OUTBOUND_DENY_PRIVATE_NETWORKS", "false");
  }

  @Test
  void wiresAwsIrsaTokenAndOptionalObjects() {
    List<HasMetadata> objects =
        render(
            t ->
                t.set(
                        "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn",
                        "arn:aws:iam::123456789012:role/buildserver")
                    .set("aws.region", "eu-west-1")
                    .set("aws.endpoint", "http://localstack:4566")
                    .set("aws.caBundle", "/etc/buildserver/ca.pem")
                    .set("aws.credentials.existingSecret", "aws-creds")
                    .set("api.token.existingSecret", "api-token")
                    .set("serviceMonitor.enabled", true)
                    .set("networkPolicy.enabled", true));
    var account =
        objects.stream()
            .filter(o -> o.getKind().equals("ServiceAccount"))
            .findFirst()
            .orElseThrow();
    assertThat(account.getMetadata().getAnnotations())
        .containsEntry("eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/buildserver");
    Deployment deployment = one(objects, Deployment.class);
    assertThat(env(deployment))
        .containsEntry("BUILDSERVER_AWS_REGION", "eu-west-1")
        .containsEntry("BUILDSERVER_AWS_ENDPOINT", "http://localstack:4566")
        .containsEntry("BUILDSERVER_AWS_CA_BUNDLE", "/etc/buildserver/ca.pem");
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getEnvFrom().get(0).getSecretRef().getName()).isEqualTo("aws-creds");
    assertThat(container.getEnv())
        .anyMatch(
            e ->
                e.getName().equals("BUILDSERVER_API_TOKEN")
                    && e.getValueFrom().getSecretKeyRef().getName().equals("api-token"));
    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .contains("ServiceMonitor", "NetworkPolicy", "Service");
  }

  /** The metrics the operator exposes on /prometheus (DESIGN.md §6), as Prometheus names. */
  static final Set<String> BUILDSERVER_METRICS =
      Set.of(
          "buildserver_aws_requests_total",
          "buildserver_aws_retries_total",
          "buildserver_aws_request_seconds",
          "buildserver_resources",
          "buildserver_ec2_test_runs_total",
          "buildserver_ec2_time_to_running_seconds",
          "buildserver_asset_bytes_uploaded_total",
          "buildserver_ledger_pages_fetched_total");

  /** java-operator-sdk 5.2's MicrometerMetrics meters the dashboard and alerts use. */
  static final Set<String> JOSDK_METRICS =
      Set.of(
          "operator_sdk_reconciliations_started_total",
          "operator_sdk_reconciliations_success_total",
          "operator_sdk_reconciliations_failed_total",
          "operator_sdk_events_received_total",
          "operator_sdk_controllers_execution_reconcile_seconds");

  /** Micrometer's JVM and process meters the dashboard uses. */
  static final Set<String> JVM_METRICS =
      Set.of("jvm_memory_used_bytes", "jvm_memory_committed_bytes", "process_cpu_usage");

  private static final Pattern METRIC =
      Pattern.compile("\\b(?:buildserver|operator_sdk|jvm|process)_\\w+");

  @Test
  void noDashboardOrAlertsByDefault() {
    List<HasMetadata> objects = render(t -> t);
    assertThat(objects).extracting(HasMetadata::getKind).doesNotContain("PrometheusRule");
    assertThat(objects)
        .filteredOn(o -> o instanceof ConfigMap)
        .noneMatch(o -> o.getMetadata().getName().endsWith("-dashboard"))
        .noneMatch(o -> o.getMetadata().getLabels().containsKey("grafana_dashboard"));
  }

  @Test
  void rendersTheGrafanaDashboardConfigMap() throws Exception {
    List<HasMetadata> objects =
        render(
            t ->
                t.set("grafanaDashboard.enabled", true)
                    .set("grafanaDashboard.namespace", "monitoring")
                    .set("grafanaDashboard.annotations.grafana_folder", "Buildserver"));
    ConfigMap map = one(objects, ConfigMap.class);
    assertThat(map.getMetadata().getName()).isEqualTo("buildserver-dashboard");
    assertThat(map.getMetadata().getNamespace()).isEqualTo("monitoring");
    assertThat(map.getMetadata().getLabels())
        .containsEntry("grafana_dashboard", "1")
        .containsEntry("app.kubernetes.io/name", "buildserver");
    assertThat(map.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Buildserver");
    assertThat(map.getData()).containsOnlyKeys("buildserver.json");

    JsonNode dashboard = new ObjectMapper().readTree(map.getData().get("buildserver.json"));
    assertThat(dashboard.path("uid").asText()).isEqualTo("buildserver");
    assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(39);
    assertThat(dashboard.path("templating").path("list").findValuesAsText("name"))
        .contains("datasource", "namespace", "job");
    List<String> exprs = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      JsonNode grid = panel.path("gridPos");
      assertThat(grid.path("x").asInt() + grid.path("w").asInt())
          .as("panel %s fits the 24-column grid", panel.path("title").asText())
          .isLessThanOrEqualTo(24);
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
      panel.path("targets").forEach(target -> exprs.add(target.path("expr").asText()));
    }
    String all = String.join("\n", exprs);
    assertThat(BUILDSERVER_METRICS).allMatch(all::contains, "is queried by a panel");
    assertThat(all)
        .contains(
            "operator_sdk_reconciliations_started_total",
            "operator_sdk_reconciliations_failed_total");
    assertThat(exprs).allSatisfy(HelmChartTest::assertValidExpr);
  }

  @Test
  void rendersThePrometheusRuleAlerts() {
    List<HasMetadata> objects =
        render(
            t ->
                t.set("prometheusRule.enabled", true)
                    .set("prometheusRule.labels.release", "kube-prometheus-stack"));
    GenericKubernetesResource rule =
        objects.stream()
            .filter(o -> o.getKind().equals("PrometheusRule"))
            .map(GenericKubernetesResource.class::cast)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no PrometheusRule"));
    assertThat(rule.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(rule.getMetadata().getNamespace()).isEqualTo("buildserver-system");
    assertThat(rule.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");

    JsonNode spec = new ObjectMapper().valueToTree(rule.getAdditionalProperties().get("spec"));
    List<JsonNode> alerts = new ArrayList<>();
    spec.path("groups").forEach(group -> group.path("rules").forEach(alerts::add));
    assertThat(alerts.stream().map(a -> a.path("alert").asText()).distinct())
        .containsExactlyInAnyOrder(
            "BuildserverAwsThrottlingSustained",
            "BuildserverReconcileErrors",
            "BuildserverResourceNotReady",
            "BuildserverEc2TestRunFailures");
    assertThat(alerts)
        .allSatisfy(
            alert -> {
              String name = alert.path("alert").asText();
              assertThat(alert.path("labels").path("severity").asText()).as(name).isNotBlank();
              assertThat(alert.path("annotations").path("summary").asText()).as(name).isNotBlank();
              assertThat(alert.path("annotations").path("description").asText())
                  .as(name)
                  .isNotBlank()
                  .doesNotContain("<no value>");
              assertValidExpr(alert.path("expr").asText());
            });
  }

  /** Balanced brackets, and a metric the operator exposes and no other. */
  private static void assertValidExpr(String expr) {
    assertThat(expr).isNotBlank();
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(expr);
    while (m.find()) {
      names.add(m.group().replaceFirst("_(bucket|sum|count|max)$", ""));
    }
    assertThat(names).as(expr).isNotEmpty();
    assertThat(names)
        .as(expr)
        .allMatch(
            n ->
                BUILDSERVER_METRICS.contains(n)
                    || JOSDK_METRICS.contains(n)
                    || JVM_METRICS.contains(n));
    int depth = 0;
    for (char c : expr.toCharArray()) {
      depth +=
          switch (c) {
            case '(', '{', '[' -> 1;
            case ')', '}', ']' -> -1;
            default -> 0;
          };
      assertThat(depth).as("brackets of %s", expr).isNotNegative();
    }
    assertThat(depth).as("brackets of %s", expr).isZero();
  }

  static List<HasMetadata> render(UnaryOperator<TemplateCommand> values) {
    String yaml =
        values
            .apply(
                new Helm(CHART)
                    .template()
                    .withName("buildserver")
                    .withNamespace("buildserver-system"))
            .call();
    return Serialization.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
  }

  private static <T> T one(List<HasMetadata> objects, Class<T> type) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName()));
  }

  private static Map<String, String> env(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
  }

  /** group/resource → sorted verbs. */
  static Map<String, List<String>> rules(List<PolicyRule> rules) {
    Map<String, List<String>> result = new java.util.TreeMap<>();
    for (PolicyRule rule : rules) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          result.put(group + "/" + resource, rule.getVerbs().stream().sorted().toList());
        }
      }
    }
    return result;
  }
}
