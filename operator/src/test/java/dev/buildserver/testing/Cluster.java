package dev.buildserver.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * End-to-end helpers over one namespace of the shared API server: apply a manifest of a buildserver
 * kind, wait for a condition reason, read Events, annotate.
 */
public final class Cluster {

  private final KubernetesClient k8s;
  private final String namespace;

  public Cluster(KubernetesClient k8s, String namespace) {
    this.k8s = k8s;
    this.namespace = namespace;
  }

  public KubernetesClient client() {
    return k8s;
  }

  public String namespace() {
    return namespace;
  }

  /** Creates a resource of {@code type} from YAML without apiVersion and kind. */
  public <T extends CustomResource<?, ?>> T create(Class<T> type, String yaml) {
    T resource =
        Serialization.unmarshal(
            "apiVersion: buildserver.dev/v1alpha1\nkind: " + type.getSimpleName() + "\n" + yaml,
            type);
    resource.getMetadata().setNamespace(namespace);
    return k8s.resource(resource).create();
  }

  /** The resource as the API server has it now (null once deleted). */
  public <T extends CustomResource<?, ?>> T get(T resource) {
    return k8s.resource(resource).get();
  }

  /** The reason of the condition of this type, or null. */
  public static String reason(CustomResource<?, ?> resource, String type) {
    return Resources.condition(resource, type).map(Condition::getReason).orElse(null);
  }

  /** Waits (up to {@code within}) until the condition of {@code type} has {@code reason}. */
  public <T extends CustomResource<?, ?>> T awaitReason(
      T resource, String type, String reason, Duration within) {
    return await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> get(resource), r -> r != null && reason.equals(reason(r, type)));
  }

  public <T extends CustomResource<?, ?>> T awaitReady(T resource, String reason) {
    return awaitReason(resource, "Ready", reason, KubeApi.WAIT);
  }

  /**
   * Sets (or, with null, removes) one annotation with a merge patch, which does not conflict with
   * the operator's status writes.
   */
  public <T extends CustomResource<?, ?>> void annotate(T resource, String key, String value) {
    Map<String, Object> annotations = new java.util.HashMap<>();
    annotations.put(key, value);
    k8s.resource(resource)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            Serialization.asJson(Map.of("metadata", Map.of("annotations", annotations))));
  }

  /** Creates a Secret with one key. */
  public void secret(String name, String key, byte[] value) {
    k8s.resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .addToData(key, Base64.getEncoder().encodeToString(value))
                .build())
        .create();
  }

  /** Every Event of the namespace as "type reason: message" lines. */
  public String events() {
    return k8s.v1().events().inNamespace(namespace).list().getItems().stream()
        .map(Cluster::describe)
        .collect(Collectors.joining("\n"));
  }

  /** The Events recorded on one object, as "type reason: message" lines. */
  public String events(String name) {
    return k8s.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .map(Cluster::describe)
        .collect(Collectors.joining("\n"));
  }

  private static String describe(Event e) {
    return e.getType() + " " + e.getReason() + ": " + e.getMessage();
  }
}
