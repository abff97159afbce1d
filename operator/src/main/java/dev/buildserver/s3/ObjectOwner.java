package dev.buildserver.s3;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The resource an S3 object belongs to, kept in the object's user metadata: {@code
 * buildserver-owner} (namespace/name), {@code buildserver-uid} and {@code buildserver-kind} (absent
 * on objects written before reports could own objects: a BuildAsset). Also names the other metadata
 * keys the operator reserves.
 */
public record ObjectOwner(String kind, String namespace, String name, String uid) {

  public static final String PREFIX = "buildserver-";
  public static final String OWNER = PREFIX + "owner";
  public static final String UID = PREFIX + "uid";
  public static final String KIND = PREFIX + "kind";
  public static final String FINGERPRINT = PREFIX + "fingerprint";
  public static final String SHA256 = PREFIX + "sha256";
  static final String BUILD_ASSET = "BuildAsset";

  /** A BuildAsset as owner. */
  public ObjectOwner(String namespace, String name, String uid) {
    this(BUILD_ASSET, namespace, name, uid);
  }

  /** The resource as owner of the objects it writes. */
  public static ObjectOwner of(HasMetadata resource) {
    var meta = resource.getMetadata();
    return new ObjectOwner(resource.getKind(), meta.getNamespace(), meta.getName(), meta.getUid());
  }

  /** The owner recorded on an object, if any. */
  public static Optional<ObjectOwner> from(Map<String, String> metadata) {
    String uid = metadata.get(UID);
    String owner = metadata.get(OWNER);
    if (uid == null || owner == null || !owner.contains("/")) {
      return Optional.empty();
    }
    int slash = owner.indexOf('/');
    String kind = metadata.getOrDefault(KIND, BUILD_ASSET);
    return Optional.of(
        new ObjectOwner(kind, owner.substring(0, slash), owner.substring(slash + 1), uid));
  }

  /** User metadata for an object this owner writes, on top of {@code user}. */
  public Map<String, String> stamp(Map<String, String> user, String fingerprint) {
    Map<String, String> metadata = new HashMap<>(user == null ? Map.of() : user);
    metadata.put(OWNER, namespace + "/" + name);
    metadata.put(UID, uid);
    if (!BUILD_ASSET.equals(kind)) {
      metadata.put(KIND, kind);
    }
    metadata.put(FINGERPRINT, fingerprint);
    return metadata;
  }

  /** Whether this is the same resource (same kind and uid). */
  public boolean sameAs(ObjectOwner other) {
    return uid.equals(other.uid()) && kind.equals(other.kind());
  }

  /** The spec field that lets this owner take an object it did not write. */
  public String overwriteField() {
    return BUILD_ASSET.equals(kind) ? "spec.overwrite" : "spec.output.s3.overwrite";
  }

  public String describe() {
    return kind + " " + namespace + "/" + name;
  }
}
