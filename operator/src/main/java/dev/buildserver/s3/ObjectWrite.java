package dev.buildserver.s3;

import dev.buildserver.aws.AwsIdentity;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where and how to write an asset; without a content type, S3's default is written explicitly.
 * {@code precondition} (nullable) is {@link #ABSENT} or the ETag the key must still hold. {@code
 * metadata} is the object's user metadata, ownership included; {@code expectedSha256} (nullable) is
 * verified before the object becomes visible. {@code identity} is who writes it (the resource's
 * ServiceAccount role, or the operator itself).
 */
public record ObjectWrite(
    String bucket,
    String key,
    String region,
    String contentType,
    Map<String, String> metadata,
    Map<String, String> tags,
    String expectedSha256,
    boolean createBucket,
    String precondition,
    AwsIdentity identity) {

  /** The precondition that the key must not hold an object yet. */
  public static final String ABSENT = "*";

  /** What S3 stores when no content type is given. */
  public static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";

  public ObjectWrite {
    contentType = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType;
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    tags = tags == null ? Map.of() : Map.copyOf(tags);
    identity = identity == null ? AwsIdentity.OPERATOR : identity;
  }

  /** A write as the operator's own identity, made only if the key holds {@code precondition}. */
  public ObjectWrite(
      String bucket,
      String key,
      String region,
      String contentType,
      Map<String, String> metadata,
      Map<String, String> tags,
      String expectedSha256,
      boolean createBucket,
      String precondition) {
    this(
        bucket,
        key,
        region,
        contentType,
        metadata,
        tags,
        expectedSha256,
        createBucket,
        precondition,
        AwsIdentity.OPERATOR);
  }

  /** An unconditional write, as the CLI and the HTTP API make. */
  public ObjectWrite(
      String bucket,
      String key,
      String region,
      String contentType,
      Map<String, String> metadata,
      Map<String, String> tags,
      String expectedSha256,
      boolean createBucket) {
    this(bucket, key, region, contentType, metadata, tags, expectedSha256, createBucket, null);
  }

  /**
   * This write, made only if the key still holds what was seen: nothing ({@code null} etag) or the
   * object with {@code etag}. A lost race fails with a retryable Conflict instead of overwriting.
   */
  public ObjectWrite onlyIf(String etag) {
    return new ObjectWrite(
        bucket,
        key,
        region,
        contentType,
        metadata,
        tags,
        expectedSha256,
        createBucket,
        etag == null ? ABSENT : etag,
        identity);
  }

  /** This write, made as {@code identity}. */
  public ObjectWrite as(AwsIdentity identity) {
    return new ObjectWrite(
        bucket,
        key,
        region,
        contentType,
        metadata,
        tags,
        expectedSha256,
        createBucket,
        precondition,
        identity);
  }

  public String location() {
    return ObjectStore.location(bucket, key);
  }

  /** This write with another content type. */
  public ObjectWrite withContentType(String contentType) {
    return new ObjectWrite(
        bucket,
        key,
        region,
        contentType,
        metadata,
        tags,
        expectedSha256,
        createBucket,
        precondition,
        identity);
  }

  /** {@code If-None-Match: *} when the key must not hold an object yet. */
  String ifNoneMatch() {
    return ABSENT.equals(precondition) ? "*" : null;
  }

  /** {@code If-Match} with the ETag the key must still hold. */
  String ifMatch() {
    return precondition == null || ABSENT.equals(precondition) ? null : ETags.quote(precondition);
  }

  /** The tags as the x-amz-tagging header value, or null without tags. */
  String tagging() {
    if (tags.isEmpty()) {
      return null;
    }
    return tags.entrySet().stream()
        .map(t -> encode(t.getKey()) + "=" + encode(t.getValue()))
        .collect(Collectors.joining("&"));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
