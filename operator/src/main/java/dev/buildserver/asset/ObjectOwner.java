package dev.buildserver.asset;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The BuildAsset an S3 object belongs to, kept in the object's user metadata: {@code
 * buildserver-owner} (namespace/name) and {@code buildserver-uid}. Also names the other metadata
 * keys the operator reserves.
 */
public record ObjectOwner(String namespace, String name, String uid) {

  public static final String PREFIX = "buildserver-";
  public static final String OWNER = PREFIX + "owner";
  public static final String UID = PREFIX + "uid";
  public static final String FINGERPRINT = PREFIX + "fingerprint";
  public static final String SHA256 = PREFIX + "sha256";

  public static ObjectOwner of(BuildAsset asset) {
    var meta = asset.getMetadata();
    return new ObjectOwner(meta.getNamespace(), meta.getName(), meta.getUid());
  }

  /** The owner recorded on an object, if any. */
  public static Optional<ObjectOwner> from(Map<String, String> metadata) {
    String uid = metadata.get(UID);
    String owner = metadata.get(OWNER);
    if (uid == null || owner == null || !owner.contains("/")) {
      return Optional.empty();
    }
    int slash = owner.indexOf('/');
    return Optional.of(new ObjectOwner(owner.substring(0, slash), owner.substring(slash + 1), uid));
  }

  /** User metadata for an object this owner writes, on top of {@code user}. */
  public Map<String, String> stamp(Map<String, String> user, String fingerprint) {
    Map<String, String> metadata = new HashMap<>(user == null ? Map.of() : user);
    metadata.put(OWNER, namespace + "/" + name);
    metadata.put(UID, uid);
    metadata.put(FINGERPRINT, fingerprint);
    return metadata;
  }

  public String describe() {
    return "BuildAsset " + namespace + "/" + name;
  }
}
