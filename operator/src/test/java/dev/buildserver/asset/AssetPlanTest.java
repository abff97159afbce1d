package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.common.KeyReference;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.status.Problem;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AssetPlanTest {

  private static final ConfigMap CONFIG =
      new ConfigMapBuilder()
          .withNewMetadata()
          .withName("cfg")
          .endMetadata()
          .addToData("text", "hello")
          .addToBinaryData("blob", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}))
          .build();
  private static final Secret SECRET =
      new SecretBuilder()
          .withNewMetadata()
          .withName("sec")
          .endMetadata()
          .addToData(
              "token", Base64.getEncoder().encodeToString("t0k3n".getBytes(StandardCharsets.UTF_8)))
          .build();

  private static final AssetPlan.Lookups LOOKUPS =
      new AssetPlan.Lookups() {
        public Optional<ConfigMap> configMap(String name) {
          return "cfg".equals(name) ? Optional.of(CONFIG) : Optional.empty();
        }

        public Optional<Secret> secret(String name) {
          return "sec".equals(name) ? Optional.of(SECRET) : Optional.empty();
        }

        public String sourceEtag(BuildAssetSource.S3ObjectSource source) {
          return "etag-of-" + source.key();
        }
      };

  private static BuildAsset asset(
      BuildAssetSource source, Map<String, String> metadata, Map<String, String> tags) {
    return asset(source, metadata, tags, "my-bucket", "k");
  }

  private static BuildAsset asset(
      BuildAssetSource source,
      Map<String, String> metadata,
      Map<String, String> tags,
      String bucket,
      String key) {
    BuildAsset asset = new BuildAsset();
    asset.setMetadata(
        new ObjectMetaBuilder().withName("a").withNamespace("ns").withUid("u1").build());
    asset.setSpec(
        new BuildAssetSpec(
            bucket, key, null, source, null, null, metadata, tags, null, null, null, null));
    return asset;
  }

  private static BuildAssetSource inline(String text) {
    return new BuildAssetSource(text, null, null, null, null, null);
  }

  private static byte[] bytes(AssetPlan plan) {
    return ((AssetContent.Bytes) plan.content()).data();
  }

  @Test
  void resolvesEveryInMemorySource() {
    assertThat(bytes(AssetPlan.of(asset(inline("hi"), null, null), "us-east-1", LOOKUPS)))
        .isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
    var base64 = new BuildAssetSource(null, "AQID", null, null, null, null);
    assertThat(bytes(AssetPlan.of(asset(base64, null, null), "us-east-1", LOOKUPS)))
        .containsExactly(1, 2, 3);
    var text = new BuildAssetSource(null, null, new KeyReference("cfg", "text"), null, null, null);
    assertThat(
            new String(
                bytes(AssetPlan.of(asset(text, null, null), "r", LOOKUPS)), StandardCharsets.UTF_8))
        .isEqualTo("hello");
    var blob = new BuildAssetSource(null, null, new KeyReference("cfg", "blob"), null, null, null);
    assertThat(bytes(AssetPlan.of(asset(blob, null, null), "r", LOOKUPS))).containsExactly(1, 2, 3);
    var secret =
        new BuildAssetSource(null, null, null, new KeyReference("sec", "token"), null, null);
    assertThat(
            new String(
                bytes(AssetPlan.of(asset(secret, null, null), "r", LOOKUPS)),
                StandardCharsets.UTF_8))
        .isEqualTo("t0k3n");
  }

  @Test
  void stampsOwnershipAndUsesTheDefaultRegion() {
    AssetPlan plan =
        AssetPlan.of(asset(inline("hi"), Map.of("release", "1"), null), "eu-west-1", LOOKUPS);
    assertThat(plan.write().region()).isEqualTo("eu-west-1");
    assertThat(plan.write().metadata())
        .containsEntry("release", "1")
        .containsEntry(ObjectOwner.OWNER, "ns/a")
        .containsEntry(ObjectOwner.UID, "u1")
        .containsEntry(ObjectOwner.FINGERPRINT, plan.fingerprint());
  }

  @Test
  void theFingerprintFollowsContentMetadataAndTagsOnly() {
    String base =
        AssetPlan.of(asset(inline("hi"), Map.of("a", "1"), Map.of("t", "1")), "r", LOOKUPS)
            .fingerprint();
    assertThat(
            AssetPlan.of(asset(inline("hi"), Map.of("a", "1"), Map.of("t", "1")), "r", LOOKUPS)
                .fingerprint())
        .isEqualTo(base);
    assertThat(
            AssetPlan.of(asset(inline("ho"), Map.of("a", "1"), Map.of("t", "1")), "r", LOOKUPS)
                .fingerprint())
        .isNotEqualTo(base);
    assertThat(
            AssetPlan.of(asset(inline("hi"), Map.of("a", "2"), Map.of("t", "1")), "r", LOOKUPS)
                .fingerprint())
        .isNotEqualTo(base);
    assertThat(
            AssetPlan.of(asset(inline("hi"), Map.of("a", "1"), Map.of("t", "2")), "r", LOOKUPS)
                .fingerprint())
        .isNotEqualTo(base);
    var copy =
        new BuildAssetSource(
            null, null, null, null, null, new BuildAssetSource.S3ObjectSource("b", "src", null));
    assertThat(AssetPlan.of(asset(copy, null, null), "r", LOOKUPS).content())
        .isEqualTo(new AssetContent.S3Object("b", "src", null));
  }

  @Test
  void explainsEverySourceProblem() {
    assertProblem(
        asset(new BuildAssetSource("a", "b", null, null, null, null), null, null),
        "InvalidSource",
        "it sets inline, base64");
    assertProblem(
        asset(new BuildAssetSource(null, null, null, null, null, null), null, null),
        "InvalidSource",
        "it sets none");
    assertProblem(
        asset(new BuildAssetSource(null, "%%%", null, null, null, null), null, null),
        "InvalidSource",
        "not valid base64");
    assertProblem(
        asset(
            new BuildAssetSource(null, null, new KeyReference("missing", "k"), null, null, null),
            null,
            null),
        "SourceNotFound",
        "ConfigMap missing does not exist");
    assertProblem(
        asset(
            new BuildAssetSource(null, null, new KeyReference("cfg", "nope"), null, null, null),
            null,
            null),
        "SourceNotFound",
        "ConfigMap cfg has no key 'nope'");
    assertProblem(
        asset(
            new BuildAssetSource(null, null, null, new KeyReference("sec", "nope"), null, null),
            null,
            null),
        "SourceNotFound",
        "Secret sec has no key 'nope'");
    assertProblem(
        asset(inline("x"), Map.of("buildserver-uid", "forged"), null),
        "InvalidMetadata",
        "reserved prefix");
  }

  @Test
  void namesOnlyTheMissingKeyNeverTheOthersOfASecretOrConfigMap() {
    for (var source :
        new BuildAssetSource[] {
          new BuildAssetSource(null, null, new KeyReference("cfg", "nope"), null, null, null),
          new BuildAssetSource(null, null, null, new KeyReference("sec", "nope"), null, null)
        }) {
      assertThatThrownBy(() -> AssetPlan.of(asset(source, null, null), "r", LOOKUPS))
          .hasMessageContaining("'nope'")
          .hasMessageNotContaining("text")
          .hasMessageNotContaining("blob")
          .hasMessageNotContaining("token");
    }
  }

  @Test
  void checksTheTargetBeforeAnythingElse() {
    assertProblem(asset(inline("x"), null, null, "UPPER", "k"), "InvalidBucketName", "UPPER");
    assertProblem(
        asset(inline("x"), null, null, "good-bucket", "a\u001b[31mred"),
        "InvalidKey",
        "control character (U+001B) at character 2");
  }

  @Test
  void refusesInlineContentOverItsLimitWithTheMessageOfTheCrd() {
    String atLimit = "\u00e9".repeat(BuildAssetSource.MAX_INLINE);
    assertThat(bytes(AssetPlan.of(asset(inline(atLimit), null, null), "r", LOOKUPS)))
        .isEqualTo(atLimit.getBytes(StandardCharsets.UTF_8));
    assertProblem(
        asset(inline(atLimit + "\u00e9"), null, null),
        "SourceTooLarge",
        "spec." + BuildAssetSource.INLINE_TOO_LONG);
  }

  @Test
  void countsInlineContentInCharactersAsTheApiServerDoesNotInUtf16Units() {
    // One character above U+FFFF is two Java chars but one character for the API server.
    String emoji = "\ud83d\ude00".repeat(BuildAssetSource.MAX_INLINE);
    assertThat(AssetPlan.of(asset(inline(emoji), null, null), "r", LOOKUPS).content())
        .isInstanceOf(AssetContent.Bytes.class);
  }

  @Test
  void refusesBase64ContentOverItsLimitWithTheMessageOfTheCrd() {
    String atLimit = Base64.getEncoder().encodeToString(new byte[64 * 1024]); // 87384 characters
    assertThat(atLimit).hasSize(BuildAssetSource.MAX_BASE64);
    assertThat(bytes(AssetPlan.of(asset(base64(atLimit), null, null), "r", LOOKUPS)))
        .isEqualTo(new byte[64 * 1024]);
    assertProblem(
        asset(base64(atLimit + "AAAA"), null, null),
        "SourceTooLarge",
        "spec." + BuildAssetSource.BASE64_TOO_LONG);
  }

  private static BuildAssetSource base64(String text) {
    return new BuildAssetSource(null, text, null, null, null, null);
  }

  private static void assertProblem(BuildAsset asset, String reason, String message) {
    assertThatThrownBy(() -> AssetPlan.of(asset, "r", LOOKUPS))
        .isInstanceOf(Problem.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo(reason))
        .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
  }
}
