package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.testing.KubeApi;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real API server holds {@code source.inline} and {@code source.base64} to their limits: one
 * character more is refused with a message that points to ConfigMap, Secret and url sources; a spec
 * at the limit is stored, in characters as the API server counts them (code points).
 */
class SourceLimitE2ETest {

  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void apiServer() {
    KubeApi api = KubeApi.get();
    client = api.client();
    namespace = api.newNamespace("source-limit");
  }

  @Test
  void refusesInlineContentOverTheLimitNamingConfigMapSecretAndUrl() {
    String over = "\u0416".repeat(BuildAssetSource.MAX_INLINE + 1);
    assertRefusedPointingElsewhere(
        asset("inline-over", Map.of("inline", over)),
        "spec.source.inline",
        "source.inline holds at most " + BuildAssetSource.MAX_INLINE + " characters");
  }

  @Test
  void refusesBase64ContentOverTheLimitNamingConfigMapSecretAndUrl() {
    String over = Base64.getEncoder().encodeToString(new byte[64 * 1024]) + "AAAA";
    assertRefusedPointingElsewhere(
        asset("base64-over", Map.of("base64", over)),
        "spec.source.base64",
        "source.base64 holds at most " + BuildAssetSource.MAX_BASE64 + " characters");
  }

  @Test
  void refusesInlineContentFarOverTheLimit() {
    // Past the schema's hard maxLength the API server answers before the CEL rules run.
    String far = "x".repeat(BuildAssetSource.HARD_MAX + 1);
    assertThatThrownBy(() -> create(asset("inline-far-over", Map.of("inline", far))))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining("spec.source.inline");
  }

  @Test
  void acceptsInlineAndBase64ContentAtTheLimit() {
    String inline = "\u0416".repeat(BuildAssetSource.MAX_INLINE);
    String base64 = Base64.getEncoder().encodeToString(new byte[64 * 1024]);
    assertThat(base64).hasSize(BuildAssetSource.MAX_BASE64);

    GenericKubernetesResource text = create(asset("inline-at-limit", Map.of("inline", inline)));
    GenericKubernetesResource bytes = create(asset("base64-at-limit", Map.of("base64", base64)));

    assertThat(source(text).get("inline")).isEqualTo(inline);
    assertThat(source(bytes).get("base64")).isEqualTo(base64);
  }

  @Test
  void countsCharactersAboveU_FFFFOnceAsTheOperatorDoes() {
    // 65536 emoji: 131072 Java chars, 256 KiB of UTF-8, and exactly at the limit.
    String emoji = "\ud83d\ude00".repeat(BuildAssetSource.MAX_INLINE);
    GenericKubernetesResource stored = create(asset("emoji-at-limit", Map.of("inline", emoji)));
    assertThat(source(stored).get("inline")).isEqualTo(emoji);
  }

  private static void assertRefusedPointingElsewhere(
      GenericKubernetesResource asset, String field, String limit) {
    assertThatThrownBy(() -> create(asset))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(field)
        .hasMessageContaining(limit)
        .hasMessageContaining("ConfigMap")
        .hasMessageContaining("Secret")
        .hasMessageContaining("url");
  }

  private static GenericKubernetesResource asset(String name, Map<String, Object> source) {
    return Serialization.jsonMapper()
        .convertValue(
            Map.of(
                "apiVersion",
                "buildserver.dev/v1alpha1",
                "kind",
                "BuildAsset",
                "metadata",
                Map.of("name", name, "namespace", namespace),
                "spec",
                Map.of("bucket", "source-limit", "key", name + ".txt", "source", source)),
            GenericKubernetesResource.class);
  }

  private static GenericKubernetesResource create(GenericKubernetesResource asset) {
    return client.resource(asset).create();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> source(GenericKubernetesResource asset) {
    var spec = (Map<String, Object>) asset.getAdditionalProperties().get("spec");
    return (Map<String, Object>) spec.get("source");
  }
}
