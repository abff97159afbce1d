package dev.buildserver.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code helm install} of the chart into the real API server (which authorizes with RBAC), the
 * operator reconciling through the chart's ServiceAccount, and {@code helm uninstall}.
 */
class HelmInstallE2ETest {

  private final KubeApi api = KubeApi.get();
  private final KubernetesClient k8s = api.client();

  @Test
  void installsEveryObjectAndUninstallsWithoutLeftovers() throws IOException {
    String kubeconfig = Files.readString(api.kubeconfig());
    var release =
        new Helm(HelmChartTest.CHART)
            .install()
            .withName("buildserver")
            .withNamespace("buildserver-system")
            .createNamespace()
            .set("replicas", 2)
            .set("sharding.shards[0]", "a")
            .set("serviceMonitor.enabled", false)
            .set("networkPolicy.enabled", true)
            .withKubeConfigContents(kubeconfig)
            .call();
    assertThat(release.getStatus()).isEqualTo("deployed");
    var ns = "buildserver-system";
    assertThat(k8s.apps().deployments().inNamespace(ns).withName("buildserver").get()).isNotNull();
    assertThat(k8s.apps().deployments().inNamespace(ns).withName("buildserver-shard-a").get())
        .isNotNull();
    assertThat(k8s.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems())
        .extracting(b -> b.getMetadata().getName())
        .containsExactlyInAnyOrder("buildserver", "buildserver-shard-a");
    assertThat(k8s.serviceAccounts().inNamespace(ns).withName("buildserver").get()).isNotNull();
    assertThat(k8s.services().inNamespace(ns).withName("buildserver").get()).isNotNull();
    assertThat(k8s.rbac().clusterRoles().withName("buildserver").get()).isNotNull();
    assertThat(k8s.rbac().clusterRoleBindings().withName("buildserver").get()).isNotNull();
    assertThat(k8s.rbac().roles().inNamespace(ns).withName("buildserver-leases").get()).isNotNull();
    assertThat(k8s.network().v1().networkPolicies().inNamespace(ns).withName("buildserver").get())
        .isNotNull();

    Helm.uninstall("buildserver").withNamespace(ns).withKubeConfigContents(kubeconfig).call();
    await()
        .atMost(KubeApi.WAIT)
        .until(
            () ->
                k8s.apps().deployments().inNamespace(ns).list().getItems().isEmpty()
                    && k8s.policy()
                        .v1()
                        .podDisruptionBudget()
                        .inNamespace(ns)
                        .list()
                        .getItems()
                        .isEmpty()
                    && k8s.serviceAccounts().inNamespace(ns).withName("buildserver").get() == null
                    && k8s.services().inNamespace(ns).list().getItems().isEmpty()
                    && k8s.rbac().roles().inNamespace(ns).list().getItems().isEmpty()
                    && k8s.rbac().clusterRoles().withName("buildserver").get() == null
                    && k8s.rbac().clusterRoleBindings().withName("buildserver").get() == null);
    assertThat(
            k8s.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("buildassets.buildserver.dev")
                .get())
        .as("CRDs stay, as Helm does")
        .isNotNull();
  }

  @Test
  void theOperatorReconcilesWithTheChartsOwnRbac() throws IOException {
    String watched = api.newNamespace("rbac");
    String kubeconfig = Files.readString(api.kubeconfig());
    new Helm(HelmChartTest.CHART)
        .install()
        .withName("rbac-proof")
        .withNamespace("rbac-system")
        .createNamespace()
        .set("watchNamespaces[0]", watched)
        .withKubeConfigContents(kubeconfig)
        .call();
    Map<String, Object> asServiceAccount =
        Map.of(
            "buildserver.operator.impersonate-user",
                "system:serviceaccount:rbac-system:rbac-proof-buildserver",
            "buildserver.operator.impersonate-groups",
                "system:serviceaccounts,system:serviceaccounts:rbac-system,system:authenticated");
    try (InProcessOperator operator =
        InProcessOperator.start(List.of(), asServiceAccount, watched)) {
      assertThat(operator.bean(KubernetesClient.class).getConfiguration().getImpersonateUsername())
          .isEqualTo("system:serviceaccount:rbac-system:rbac-proof-buildserver");
      BuildAsset asset =
          Serialization.unmarshal(
              """
              apiVersion: buildserver.dev/v1alpha1
              kind: BuildAsset
              metadata: {name: through-rbac}
              spec: {bucket: rbac-proof, key: a.txt, createBucket: true, source: {configMapKeyRef: {name: content, key: a}}}
              """,
              BuildAsset.class);
      asset.getMetadata().setNamespace(watched);
      k8s.configMaps()
          .inNamespace(watched)
          .resource(
              new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("content")
                  .endMetadata()
                  .addToData("a", "hello")
                  .build())
          .create();
      k8s.resource(asset).create();
      BuildAsset ready =
          await()
              .atMost(KubeApi.WAIT)
              .until(
                  () -> k8s.resource(asset).get(),
                  a ->
                      Resources.condition(a, "Ready")
                          .map(c -> "Uploaded".equals(c.getReason()))
                          .orElse(false));
      assertThat(ready.getMetadata().getFinalizers()).isNotEmpty();
      await()
          .atMost(KubeApi.WAIT)
          .until(
              () ->
                  k8s.v1().events().inNamespace(watched).list().getItems().stream()
                      .anyMatch(e -> "Uploaded".equals(e.getReason())));
      k8s.resource(asset).delete();
      await().atMost(KubeApi.WAIT).until(() -> k8s.resource(asset).get() == null);
    } finally {
      Helm.uninstall("rbac-proof")
          .withNamespace("rbac-system")
          .withKubeConfigContents(kubeconfig)
          .call();
    }
  }
}
