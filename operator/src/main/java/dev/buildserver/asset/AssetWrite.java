package dev.buildserver.asset;

import java.util.Map;

/**
 * Where and how to write an asset; without a content type, S3's default is written explicitly.
 * {@code metadata} is the object's user metadata, ownership included; {@code expectedSha256}
 * (nullable) is verified before the object becomes visible.
 */
public record AssetWrite(
    String bucket,
    String key,
    String region,
    String contentType,
    Map<String, String> metadata,
    Map<String, String> tags,
    String expectedSha256,
    boolean createBucket) {

  /** What S3 stores when no content type is given. */
  public static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";

  public AssetWrite {
    contentType = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType;
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    tags = tags == null ? Map.of() : Map.copyOf(tags);
  }

  public String location() {
    return "s3://" + bucket + "/" + key;
  }
}
