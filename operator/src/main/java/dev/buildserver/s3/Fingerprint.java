package dev.buildserver.s3;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Digests used for assets: SHA-256 of content, and the fingerprint of what a BuildAsset wants
 * (source identity, content type, metadata, tags) that is stored on the object so that a reconcile
 * can tell, from a HEAD alone, whether the object is up to date.
 */
public final class Fingerprint {

  private Fingerprint() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  public static String sha256Hex(byte[] data) {
    return HexFormat.of().formatHex(sha256().digest(data));
  }

  /**
   * @param sourceIdentity what identifies the content: its digest for in-memory sources, the URL
   *     (and declared digest) for downloads, the source object's location and ETag for copies
   */
  public static String of(
      String sourceIdentity,
      String contentType,
      Map<String, String> metadata,
      Map<String, String> tags) {
    StringBuilder canonical = new StringBuilder("v1\n");
    canonical.append(sourceIdentity).append('\n');
    canonical.append(contentType == null ? "" : contentType).append('\n');
    new TreeMap<>(metadata == null ? Map.of() : metadata)
        .forEach((k, v) -> canonical.append("m:").append(k).append('=').append(v).append('\n'));
    new TreeMap<>(tags == null ? Map.of() : tags)
        .forEach((k, v) -> canonical.append("t:").append(k).append('=').append(v).append('\n'));
    return sha256Hex(canonical.toString().getBytes(StandardCharsets.UTF_8));
  }
}
