package dev.buildserver.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.buildserver.testing.RepoFiles;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
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
            "/events");
    assertThat(rules.get("/secrets")).containsExactlyInAnyOrder("get", "list", "watch");
    assertThat(rules.get("/events")).containsExactlyInAnyOrder("create", "patch");
    assertThat(rules.values()).noneMatch(verbs -> verbs.contains("*"));
  }

  @Test
  void watchNamespacesYieldARoleAndBindingPerNamespaceAndNoClusterRole() {
    List<HasMetadata> objects =
        render(t -> t.set("watchNamespaces[0]", "team-a").set("watchNamespaces[1]", "team-b"));
    assertThat(objects).noneMatch(o -> o.getKind().startsWith("Cluster"));
    assertThat(
            objects.stream()
                .filter(o -> o instanceof Role)
                .map(o -> o.getMetadata().getNamespace()))
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(
            objects.stream()
                .filter(o -> o.getKind().equals("RoleBinding"))
                .map(o -> o.getMetadata().getNamespace()))
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(env(one(objects, Deployment.class)))
        .containsEntry("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", "team-a,team-b");
  }

  @Test
  void moreThanOneReplicaElectsALeaderThroughALease() {
    List<HasMetadata> objects = render(t -> t.set("replicas", 2));
    Deployment deployment = one(objects, Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(env(deployment))
        .containsEntry("BUILDSERVER_OPERATOR_LEADER_ELECTION_ENABLED", "true");
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
  void wiresAwsIrsaTokenAndOptionalObjects() {
    List<HasMetadata> objects =
        render(
            t ->
                t.set(
                        "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn",
                        "arn:aws:iam::123456789012:role/buildserver")
                    .set("aws.region", "eu-west-1")
                    .set("aws.endpoint", "http://localstack:4566")
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
        .containsEntry("BUILDSERVER_AWS_ENDPOINT", "http://localstack:4566");
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
