package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two {@code builder operator} processes with leader election: one reconciles, the other takes
 * over.
 */
class LeaderElectionE2ETest {

  private final KubeApi api = KubeApi.get();
  private final KubernetesClient k8s = api.client();

  @Test
  void onlyTheLeaderReconcilesAndTheOtherTakesOverAndALostLeaseStopsCleanly() throws Exception {
    String namespace = api.newNamespace("leaders");
    try (BuilderProcess a = start("operator-a", namespace);
        BuilderProcess b = start("operator-b", namespace)) {
      String leader = await().atMost(KubeApi.WAIT).until(() -> holder(namespace), h -> h != null);
      BuilderProcess leading = leader.equals("operator-a") ? a : b;
      BuilderProcess standing = leading == a ? b : a;
      String follower = leading == a ? "operator-b" : "operator-a";

      assertThat(reportedBy(namespace, apply(namespace, "first"))).containsOnly(leader);
      assertThat(standing.log()).doesNotContain("Started leading");

      leading.process().destroy(); // SIGTERM: a clean stop
      assertThat(leading.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> holder(namespace), follower::equals);
      assertThat(reportedBy(namespace, apply(namespace, "second"))).containsOnly(follower);

      // Someone else takes the Lease: the leader stops reconciling and reports itself not live.
      // The leader renews the Lease every 2 s, so the take may meet a 409 and is tried again.
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptionsInstanceOf(KubernetesClientException.class)
          .until(
              () ->
                  k8s.leases()
                          .inNamespace(namespace)
                          .withName("buildserver-operator")
                          .edit(
                              l -> {
                                l.getSpec().setHolderIdentity("someone-else");
                                l.getSpec().setLeaseDurationSeconds(600);
                                l.getSpec().setRenewTime(ZonedDateTime.now());
                                return l;
                              })
                      != null);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> status(standing.get("/health/liveness")) == 503);
      assertThat(standing.log()).contains("Lost leadership");
      assertThat(standing.process().isAlive()).isTrue();
    }
  }

  private BuilderProcess start(String name, String namespace) {
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", api.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", namespace);
    env.put("BUILDSERVER_OPERATOR_LEADER_ELECTION_ENABLED", "true");
    env.put("BUILDSERVER_OPERATOR_LEADER_ELECTION_LEASE_NAMESPACE", namespace);
    env.put("BUILDSERVER_OPERATOR_LEADER_ELECTION_LEASE_DURATION", "6s");
    env.put("BUILDSERVER_OPERATOR_LEADER_ELECTION_RENEW_DEADLINE", "4s");
    env.put("BUILDSERVER_OPERATOR_LEADER_ELECTION_RETRY_PERIOD", "1s");
    env.put("BUILDSERVER_LOG_FORMAT", "json");
    env.put("POD_NAME", name);
    BuilderProcess process =
        BuilderProcess.start(name, BuilderProcess.freePort(), env, List.of("-Xmx256m"), "operator");
    await()
        .atMost(Duration.ofSeconds(90))
        .failFast("the operator process exited", () -> !process.process().isAlive())
        .until(() -> status(process.get("/health/liveness")) == 200);
    return process;
  }

  private String holder(String namespace) {
    Lease lease = k8s.leases().inNamespace(namespace).withName("buildserver-operator").get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  private BuildAsset apply(String namespace, String name) {
    BuildAsset asset =
        Serialization.unmarshal(
            "apiVersion: buildserver.dev/v1alpha1\nkind: BuildAsset\nmetadata: {name: %s}\nspec: {bucket: leaders, key: %s, createBucket: true, source: {inline: x}}"
                .formatted(name, name),
            BuildAsset.class);
    asset.getMetadata().setNamespace(namespace);
    k8s.resource(asset).create();
    await()
        .atMost(KubeApi.WAIT)
        .until(
            () -> k8s.resource(asset).get(),
            a ->
                Resources.condition(a, "Ready")
                    .map(c -> "Uploaded".equals(c.getReason()))
                    .orElse(false));
    return asset;
  }

  /**
   * The operator instances that emitted events about a resource (Events follow the status write
   * they describe, so they are awaited).
   */
  private List<String> reportedBy(String namespace, BuildAsset asset) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                k8s.v1().events().inNamespace(namespace).list().getItems().stream()
                    .filter(
                        e -> asset.getMetadata().getName().equals(e.getInvolvedObject().getName()))
                    .map(e -> e.getReportingInstance())
                    .distinct()
                    .toList(),
            instances -> !instances.isEmpty());
  }

  private static int status(java.net.http.HttpResponse<String> response) {
    return response == null ? -1 : response.statusCode();
  }
}
