package dev.buildserver.asset;

import dev.buildserver.common.KeyReference;
import dev.buildserver.s3.Fingerprint;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a BuildAsset asks for, worked out from its spec: the content to write, the write itself
 * (with ownership metadata), the fingerprint stored on the object, and whether the content is a
 * Secret's. Pure: ConfigMaps, Secrets and the ETag of a copy source are looked up by the caller.
 */
public record AssetPlan(
    AssetContent content, ObjectWrite write, String fingerprint, boolean secret) {

  private static final Pattern BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");

  /** Lookups the plan needs from the cluster and S3. */
  public interface Lookups {
    Optional<ConfigMap> configMap(String name);

    Optional<Secret> secret(String name);

    /** The ETag of the object an {@code s3} source names; a missing object is an Problem. */
    String sourceEtag(BuildAssetSource.S3ObjectSource source);
  }

  public static AssetPlan of(BuildAsset asset, String defaultRegion, Lookups lookups) {
    BuildAssetSpec spec = asset.getSpec();
    checkTarget(spec.bucket(), spec.key());
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

  /**
   * Refuses a bucket name S3 would refuse, and an empty, oversized or path-traversing key, before
   * any call to S3.
   */
  public static void checkTarget(String bucket, String key) {
    if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new Problem(
          Reason.InvalidBucketName,
          "bucket '"
              + (bucket == null ? "" : bucket)
              + "' is not a valid S3 bucket name: use 3-63 lowercase letters, digits, dots and hyphens",
          false);
    }
    if (key == null || key.isEmpty()) {
      throw new Problem(
          Reason.InvalidKey,
          "the object key is empty: set a key such as releases/app.tar.gz",
          false);
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > 1024) {
      throw new Problem(Reason.InvalidKey, "the object key is longer than S3's 1024 bytes", false);
    }
    if (Arrays.stream(key.split("/", -1)).anyMatch(s -> s.equals(".") || s.equals(".."))) {
      // S3 keeps such a key as is, but tools that copy a bucket to disk resolve it elsewhere.
      throw new Problem(
          Reason.InvalidKey,
          "the object key '"
              + key
              + "' has a '.' or '..' segment, which tools that sync to disk resolve outside its"
              + " prefix: name the object without them",
          false);
    }
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
                + key
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
      return new AssetContent.Bytes(source.inline().getBytes(StandardCharsets.UTF_8));
    }
    if (source.base64() != null) {
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
                            + ref.name()
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
    throw missingKey("ConfigMap", ref, data.keySet(), binary.keySet());
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
                            + ref.name()
                            + " does not exist in this namespace: create it, or fix"
                            + " spec.source.secretKeyRef.name",
                        false));
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    if (!data.containsKey(ref.key())) {
      throw missingKey("Secret", ref, data.keySet(), Set.of());
    }
    return new AssetContent.Bytes(decode(data.get(ref.key()), "Secret data"));
  }

  private static Problem missingKey(
      String kind, KeyReference ref, Set<String> keys, Set<String> binaryKeys) {
    var all = new TreeSet<>(keys);
    all.addAll(binaryKeys);
    return new Problem(
        Reason.SourceNotFound,
        kind
            + " "
            + ref.name()
            + " has no key '"
            + ref.key()
            + "' (it has: "
            + String.join(", ", all)
            + ")",
        false);
  }

  private static byte[] decode(String base64, String what) {
    try {
      return Base64.getDecoder().decode(base64.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new Problem(
          Reason.InvalidSource, what + " is not valid base64: " + e.getMessage(), false);
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
