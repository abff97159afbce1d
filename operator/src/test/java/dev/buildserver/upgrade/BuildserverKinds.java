package dev.buildserver.upgrade;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The three buildserver kinds of one namespace as plain maps (fabric8 generic resources), so that
 * they read and write the same under the CRDs of either release: the test's own Java types are
 * today's.
 */
final class BuildserverKinds {

  static final String ASSET = "BuildAsset";
  static final String RUN = "Ec2TestRun";
  static final String REPORT = "BalanceReport";
  static final List<String> ALL = List.of(ASSET, RUN, REPORT);

  private final KubernetesClient k8s;
  private final String namespace;

  BuildserverKinds(KubernetesClient k8s, String namespace) {
    this.k8s = k8s;
    this.namespace = namespace;
  }

  String namespace() {
    return namespace;
  }

  private NonNamespaceOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      of(String kind) {
    var context =
        new ResourceDefinitionContext.Builder()
            .withGroup("buildserver.dev")
            .withVersion("v1alpha1")
            .withKind(kind)
            .withPlural(kind.toLowerCase() + "s")
            .withNamespaced(true)
            .build();
    return k8s.genericKubernetesResources(context).inNamespace(namespace);
  }

  /** Creates an object of {@code kind} from YAML without apiVersion and kind. */
  void create(String kind, String yaml) {
    GenericKubernetesResource resource =
        Serialization.unmarshal(
            "apiVersion: buildserver.dev/v1alpha1\nkind: " + kind + "\n" + yaml,
            GenericKubernetesResource.class);
    resource.getMetadata().setNamespace(namespace);
    of(kind).resource(resource).create();
  }

  List<GenericKubernetesResource> list(String kind) {
    return of(kind).list().getItems();
  }

  /** Every object of the three kinds. */
  List<GenericKubernetesResource> all() {
    List<GenericKubernetesResource> all = new ArrayList<>();
    ALL.forEach(kind -> all.addAll(list(kind)));
    return all;
  }

  GenericKubernetesResource get(String kind, String name) {
    return of(kind).withName(name).get();
  }

  /** A JSON merge patch: spec changes, annotations. */
  void patch(String kind, String name, Map<String, Object> patch) {
    of(kind)
        .withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(patch));
  }

  void delete(String kind, String name) {
    of(kind).withName(name).delete();
  }

  /** "Kind/name", as the summary names an object. */
  static String id(GenericKubernetesResource resource) {
    return resource.getKind() + "/" + resource.getMetadata().getName();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> spec(GenericKubernetesResource resource) {
    Object spec = resource == null ? null : resource.getAdditionalProperties().get("spec");
    return spec instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> status(GenericKubernetesResource resource) {
    Object status = resource.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }

  /** The condition of {@code type} as a map (type, status, reason, message), if set. */
  @SuppressWarnings("unchecked")
  static Optional<Map<String, Object>> condition(GenericKubernetesResource resource, String type) {
    Object conditions = status(resource).get("conditions");
    if (!(conditions instanceof List<?> list)) {
      return Optional.empty();
    }
    return list.stream()
        .filter(c -> c instanceof Map<?, ?> m && type.equals(m.get("type")))
        .map(c -> (Map<String, Object>) c)
        .findFirst();
  }

  /** The status ("True", "False", "Unknown") of the condition of {@code type}, or "absent". */
  static String conditionStatus(GenericKubernetesResource resource, String type) {
    return condition(resource, type).map(c -> String.valueOf(c.get("status"))).orElse("absent");
  }

  /** Whether status.observedGeneration is the object's generation. */
  static boolean observedCurrent(GenericKubernetesResource resource) {
    Object observed = status(resource).get("observedGeneration");
    return observed instanceof Number n
        && Objects.equals(n.longValue(), resource.getMetadata().getGeneration());
  }

  /**
   * The condition that says a resource is healthy: Ready for assets and reports, Succeeded for a
   * run (whose Complete is False while it runs, as it should be).
   */
  static String healthCondition(GenericKubernetesResource resource) {
    return RUN.equals(resource.getKind()) ? "Succeeded" : "Ready";
  }
}
