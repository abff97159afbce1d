package dev.buildserver.asset;

import dev.buildserver.common.KeyReference;
import dev.buildserver.s3.Fingerprint;
import dev.buildserver.s3.ObjectKeys;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a BuildAsset asks for, worked out from its spec: the content to write, the write itself
 * (with ownership metadata), the fingerprint stored on the object, and whether the content is a
 * Secret's. Pure: ConfigMaps, Secrets and the ETag of a copy source are looked up by the caller.
 */
public record AssetPlan(
    AssetContent content, ObjectWrite write, String fingerprint, boolean secret) {

  /** Lookups the plan needs from the cluster and S3. */
  public interface Lookups {
    Optional<ConfigMap> configMap(String name);

    Optional<Secret> secret(String name);

    /** The ETag of the object an {@code s3} source names; a missing object is an Problem. */
    String sourceEtag(BuildAssetSource.S3ObjectSource source);
  }

  public static AssetPlan of(BuildAsset asset, String defaultRegion, Lookups lookups) {
    BuildAssetSpec spec = asset.getSpec();
    ObjectKeys.check(spec.bucket(), spec.key());
    checkMetadata(spec.metadata());
    AssetContent content = content(spec.source(), lookups);
    String identity = identity(content, spec, lookups);
    String fingerprint = Fingerprint.of(identity, spec.contentType(), spec.metadata(), spec.tags());
    String region =
        spec.region() == null || spec.region().isBlank() ? defaultRegion : spec.region();
    ObjectWrite write =
        new ObjectWrite(
            spec.bucket(),
            spec.key(),
            region,
            spec.contentType(),
            ObjectOwner.of(asset).stamp(spec.metadata(), fingerprint),
            spec.tags(),
            spec.sha256(),
            Boolean.TRUE.equals(spec.createBucket()));
    // The digest of Secret content is kept out of status and events, which more people can read.
    return new AssetPlan(content, write, fingerprint, spec.source().secretKeyRef() != null);
  }

  private static void checkMetadata(Map<String, String> metadata) {
    if (metadata == null) {
      return;
    }
    for (String key : metadata.keySet()) {
      if (key.toLowerCase(Locale.ROOT).startsWith(ObjectOwner.PREFIX)) {
        throw new Problem(
            Reason.InvalidMetadata,
            "spec.metadata key '"
                + Echo.value(key)
                + "' uses the reserved prefix "
                + ObjectOwner.PREFIX
                + ": rename it",
            false);
      }
    }
  }

  static AssetContent content(BuildAssetSource source, Lookups lookups) {
    List<String> set = new ArrayList<>();
    if (source != null) {
      if (source.inline() != null) set.add("inline");
      if (source.base64() != null) set.add("base64");
      if (source.configMapKeyRef() != null) set.add("configMapKeyRef");
      if (source.secretKeyRef() != null) set.add("secretKeyRef");
      if (source.url() != null) set.add("url");
      if (source.s3() != null) set.add("s3");
    }
    if (set.size() != 1) {
      throw new Problem(
          Reason.InvalidSource,
          "spec.source must set exactly one of inline, base64, configMapKeyRef, secretKeyRef, url, s3"
              + (set.isEmpty() ? "; it sets none" : "; it sets " + String.join(", ", set)),
          false);
    }
    if (source.inline() != null) {
      // Counted in code points, as the API server's maxLength and CEL's size() count.
      if (source.inline().length() > BuildAssetSource.MAX_INLINE
          && source.inline().codePointCount(0, source.inline().length())
              > BuildAssetSource.MAX_INLINE) {
        throw new Problem(Reason.SourceTooLarge, "spec." + BuildAssetSource.INLINE_TOO_LONG, false);
      }
      return new AssetContent.Bytes(source.inline().getBytes(StandardCharsets.UTF_8));
    }
    if (source.base64() != null) {
      if (source.base64().length() > BuildAssetSource.MAX_BASE64) {
        throw new Problem(Reason.SourceTooLarge, "spec." + BuildAssetSource.BASE64_TOO_LONG, false);
      }
      return new AssetContent.Bytes(decode(source.base64(), "spec.source.base64"));
    }
    if (source.configMapKeyRef() != null) {
      return fromConfigMap(source.configMapKeyRef(), lookups);
    }
    if (source.secretKeyRef() != null) {
      return fromSecret(source.secretKeyRef(), lookups);
    }
    if (source.url() != null) {
      return new AssetContent.Url(source.url());
    }
    var s3 = source.s3();
    return new AssetContent.S3Object(s3.bucket(), s3.key(), s3.versionId());
  }

  private static AssetContent fromConfigMap(KeyReference ref, Lookups lookups) {
    ConfigMap map =
        lookups
            .configMap(ref.name())
            .orElseThrow(
                () ->
                    new Problem(
                        Reason.SourceNotFound,
                        "ConfigMap "
                            + Echo.value(ref.name())
                            + " does not exist in this namespace: create it, or fix"
                            + " spec.source.configMapKeyRef.name",
                        false));
    Map<String, String> data = map.getData() == null ? Map.of() : map.getData();
    Map<String, String> binary = map.getBinaryData() == null ? Map.of() : map.getBinaryData();
    if (data.containsKey(ref.key())) {
      return new AssetContent.Bytes(data.get(ref.key()).getBytes(StandardCharsets.UTF_8));
    }
    if (binary.containsKey(ref.key())) {
      return new AssetContent.Bytes(decode(binary.get(ref.key()), "ConfigMap binaryData"));
    }
    throw missingKey("ConfigMap", ref, "spec.source.configMapKeyRef.key");
  }

  private static AssetContent fromSecret(KeyReference ref, Lookups lookups) {
    Secret secret =
        lookups
            .secret(ref.name())
            .orElseThrow(
                () ->
                    new Problem(
                        Reason.SourceNotFound,
                        "Secret "
                            + Echo.value(ref.name())
                            + " does not exist in this namespace: create it, or fix"
                            + " spec.source.secretKeyRef.name",
                        false));
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    if (!data.containsKey(ref.key())) {
      throw missingKey("Secret", ref, "spec.source.secretKeyRef.key");
    }
    return new AssetContent.Bytes(decode(data.get(ref.key()), "Secret data"));
  }

  /**
   * Names only the key that was asked for: the other keys of a Secret or ConfigMap are not the
   * reader's to learn from a condition.
   */
  private static Problem missingKey(String kind, KeyReference ref, String field) {
    return new Problem(
        Reason.SourceNotFound,
        kind
            + " "
            + Echo.value(ref.name())
            + " has no key '"
            + Echo.value(ref.key())
            + "': add it, or fix "
            + field,
        false);
  }

  private static byte[] decode(String base64, String what) {
    try {
      return Base64.getDecoder().decode(base64.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new Problem(
          Reason.InvalidSource,
          what + " is not valid base64: " + Echo.value(e.getMessage()),
          false);
    }
  }

  /** What identifies the content without reading it all. */
  private static String identity(AssetContent content, BuildAssetSpec spec, Lookups lookups) {
    if (content instanceof AssetContent.Bytes bytes) {
      return "sha256:" + Fingerprint.sha256Hex(bytes.data());
    }
    if (content instanceof AssetContent.Url url) {
      return "url:" + url.url() + "#" + (spec.sha256() == null ? "" : spec.sha256());
    }
    var s3 = spec.source().s3();
    return "s3:"
        + s3.bucket()
        + "/"
        + s3.key()
        + "?"
        + (s3.versionId() == null ? "" : s3.versionId())
        + "@"
        + lookups.sourceEtag(s3);
  }
}
