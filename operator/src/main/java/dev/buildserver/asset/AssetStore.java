package dev.buildserver.asset;

import dev.buildserver.common.AwsClients;
import dev.buildserver.common.OutboundHttp;
import dev.buildserver.common.OutboundRefused;
import dev.buildserver.common.Problem;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/**
 * The one place that reads and writes asset objects in S3, for the reconciler, the CLI and the HTTP
 * API. Content of unknown length is streamed in parts of {@link #PART_SIZE} bytes, so memory stays
 * bounded whatever the size; a declared SHA-256 is checked before the object becomes visible (a
 * mismatching multipart upload is aborted, never completed).
 */
@Singleton
public class AssetStore {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AssetStore.class);

  /** Part size of multipart uploads; content smaller than this is written with one PutObject. */
  public static final int PART_SIZE = 8 * 1024 * 1024;

  /**
   * Parts of one upload sent at once while the next part is read and hashed; memory per upload is
   * (this + 1) x PART_SIZE.
   */
  static final int PARTS_IN_FLIGHT = 2;

  /** CopyObject's limit; larger copies would need UploadPartCopy. */
  static final long MAX_COPY_SIZE = 5L * 1024 * 1024 * 1024;

  private final AwsClients aws;
  private final OutboundHttp http;
  private final java.util.concurrent.Semaphore uploads;
  private final ExecutorService partUploads =
      Executors.newFixedThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "s3-part-upload");
            t.setDaemon(true);
            return t;
          });

  public AssetStore(AwsClients aws, OutboundHttp http) {
    this(aws, http, 4);
  }

  /**
   * @param concurrentUploads streamed uploads at once; each holds up to (PARTS_IN_FLIGHT + 1) x
   *     PART_SIZE of memory
   */
  @jakarta.inject.Inject
  public AssetStore(
      AwsClients aws,
      OutboundHttp http,
      @io.micronaut.context.annotation.Value("${buildserver.asset.concurrent-uploads:4}")
          int concurrentUploads) {
    this.aws = aws;
    this.http = http;
    this.uploads = new java.util.concurrent.Semaphore(Math.max(1, concurrentUploads), true);
  }

  /** The region used when a resource or command names none. */
  public String defaultRegion() {
    return aws.defaultRegion();
  }

  /** Writes {@code content} as described by {@code write} and returns what S3 now holds. */
  public StoredAsset put(AssetWrite write, AssetContent content) {
    if (content instanceof AssetContent.Bytes bytes) {
      return putBytes(write, bytes.data());
    }
    if (content instanceof AssetContent.S3Object object) {
      return copy(write, object);
    }
    if (content instanceof AssetContent.Url url) {
      OutboundHttp.Response response;
      try {
        response = http.get(url.url(), Map.of());
      } catch (OutboundHttp.HttpStatusException e) {
        boolean transientFailure = e.status() >= 500 || e.status() == 429 || e.status() == 408;
        throw new Problem(e.reason(), e.getMessage() + ": check spec.source.url", transientFailure);
      } catch (OutboundRefused e) {
        throw new Problem(e.reason(), e.getMessage(), "UrlUnreachable".equals(e.reason()));
      }
      AssetWrite typed =
          AssetWrite.DEFAULT_CONTENT_TYPE.equals(write.contentType())
              ? withContentType(write, response.contentType().orElse(null))
              : write;
      try (InputStream in = response.body()) {
        return putStream(typed, in);
      } catch (OutboundHttp.BodyTooLargeException e) {
        throw new Problem(e.refusal().reason(), e.refusal().getMessage(), false, e);
      } catch (IOException e) {
        throw new Problem("UrlUnreachable", "reading the URL failed: " + e.getMessage(), true, e);
      }
    }
    AssetContent.Stream stream = (AssetContent.Stream) content;
    try (InputStream in = stream.open().get()) {
      return putStream(write, in);
    } catch (IOException e) {
      throw new Problem(
          "SourceUnreadable", "reading the content failed: " + e.getMessage(), false, e);
    }
  }

  /** The object at bucket/key (optionally one version), or empty when there is none. */
  public Optional<ObjectInfo> head(String region, String bucket, String key, String versionId) {
    try {
      HeadObjectResponse head =
          s3(region).headObject(b -> b.bucket(bucket).key(key).versionId(blankToNull(versionId)));
      return Optional.of(
          new ObjectInfo(
              unquote(head.eTag()),
              head.versionId(),
              head.contentLength() == null ? 0 : head.contentLength(),
              head.contentType(),
              head.lastModified(),
              head.metadata()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw problem(e, "HeadObject", location(bucket, key));
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
  }

  /**
   * Deletes exactly the object that was seen: the version {@code versionId} on a versioned bucket,
   * else only while the key still holds {@code etag}. Returns false when the key was replaced
   * meanwhile (the newer object is left alone); a missing object or bucket is not an error.
   */
  public boolean deleteExactly(
      String region, String bucket, String key, String etag, String versionId) {
    boolean versioned = versionId != null && !versionId.isBlank() && !"null".equals(versionId);
    try {
      s3(region)
          .deleteObject(
              b -> {
                b.bucket(bucket).key(key);
                if (versioned) {
                  b.versionId(versionId);
                } else if (etag != null) {
                  b.ifMatch(quote(etag));
                }
              });
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return true;
      }
      if (e.statusCode() == 412 || "PreconditionFailed".equals(code(e))) {
        return false;
      }
      throw problem(e, "DeleteObject", location(bucket, key));
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
  }

  /** Copies the object's bytes to {@code out}. */
  public void get(String region, String bucket, String key, OutputStream out) {
    try {
      s3(region).getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toOutputStream(out));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new Problem("NotFound", location(bucket, key) + " does not exist", false, e);
      }
      throw problem(e, "GetObject", location(bucket, key));
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
  }

  /** One object of a listing. */
  public record Listed(String key, long size, String etag, Instant lastModified) {}

  /** The first {@code limit} objects under {@code prefix}, in key order. */
  public List<Listed> list(String region, String bucket, String prefix, int limit) {
    try {
      List<Listed> result = new ArrayList<>();
      var objects =
          s3(region)
              .listObjectsV2Paginator(b -> b.bucket(bucket).prefix(blankToNull(prefix)))
              .contents()
              .iterator();
      while (objects.hasNext() && result.size() < limit) {
        var o = objects.next();
        result.add(new Listed(o.key(), o.size(), unquote(o.eTag()), o.lastModified()));
      }
      return result;
    } catch (S3Exception e) {
      throw problem(e, "ListObjectsV2", "s3://" + bucket);
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
  }

  private StoredAsset putBytes(AssetWrite write, byte[] data) {
    String sha256 = Fingerprint.sha256Hex(data);
    verify(write, sha256);
    Map<String, String> metadata = new HashMap<>(write.metadata());
    metadata.put(ObjectOwner.SHA256, sha256);
    var response =
        withBucket(
            write,
            "PutObject",
            () ->
                s3(write.region())
                    .putObject(
                        b ->
                            b.bucket(write.bucket())
                                .key(write.key())
                                .contentType(write.contentType())
                                .metadata(metadata)
                                .tagging(tagging(write.tags()))
                                .ifNoneMatch(ifNoneMatch(write))
                                .ifMatch(ifMatch(write)),
                        RequestBody.fromBytes(data)));
    return stored(write, unquote(response.eTag()), response.versionId(), data.length, sha256);
  }

  private StoredAsset putStream(AssetWrite write, InputStream in) throws IOException {
    try {
      uploads.acquire(); // bounds the memory of concurrent streamed uploads
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Problem("Interrupted", "interrupted before uploading " + write.location(), true, e);
    }
    try {
      byte[] first = in.readNBytes(PART_SIZE); // grows as data arrives: small bodies stay small
      if (first.length < PART_SIZE) {
        return putBytes(write, first);
      }
      return multipart(write, first, in);
    } finally {
      uploads.release();
    }
  }

  private StoredAsset multipart(AssetWrite write, byte[] buffer, InputStream in)
      throws IOException {
    S3Client s3 = s3(write.region());
    Map<String, String> metadata = new HashMap<>(write.metadata());
    if (write.expectedSha256() != null) {
      metadata.put(ObjectOwner.SHA256, write.expectedSha256());
    }
    String uploadId =
        withBucket(
                write,
                "CreateMultipartUpload",
                () ->
                    s3.createMultipartUpload(
                        b ->
                            b.bucket(write.bucket())
                                .key(write.key())
                                .contentType(write.contentType())
                                .metadata(metadata)
                                .tagging(tagging(write.tags()))))
            .uploadId();
    boolean completed = false;
    List<Future<CompletedPart>> parts = new ArrayList<>();
    try {
      MessageDigest digest = Fingerprint.sha256();
      BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(PARTS_IN_FLIGHT + 1);
      for (int i = 0; i < PARTS_IN_FLIGHT; i++) {
        free.add(new byte[PART_SIZE]);
      }
      long size = 0;
      byte[] current = buffer;
      int length = PART_SIZE;
      for (int part = 1; length > 0; part++) {
        digest.update(current, 0, length);
        size += length;
        parts.add(uploadPart(s3, write, uploadId, part, current, length, free));
        current = free.take(); // waits while PARTS_IN_FLIGHT parts are uploading: bounded memory
        failFast(parts);
        length = in.readNBytes(current, 0, PART_SIZE);
      }
      List<CompletedPart> completedParts = new ArrayList<>();
      for (Future<CompletedPart> part : parts) {
        completedParts.add(part.get());
      }
      String sha256 = HexFormat.of().formatHex(digest.digest());
      verify(write, sha256);
      CompleteMultipartUploadResponse done;
      try {
        done =
            s3.completeMultipartUpload(
                b ->
                    b.bucket(write.bucket())
                        .key(write.key())
                        .uploadId(uploadId)
                        .ifNoneMatch(ifNoneMatch(write))
                        .ifMatch(ifMatch(write))
                        .multipartUpload(m -> m.parts(completedParts)));
      } catch (S3Exception e) {
        throw problem(e, "CompleteMultipartUpload", write.location());
      }
      completed = true;
      return stored(write, unquote(done.eTag()), done.versionId(), size, sha256);
    } catch (OutboundHttp.BodyTooLargeException e) {
      throw new Problem(e.refusal().reason(), e.refusal().getMessage(), false, e);
    } catch (ExecutionException e) {
      throw partFailure(e.getCause(), write);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Problem(
          "Interrupted", "the upload of " + write.location() + " was interrupted", true, e);
    } catch (RuntimeException e) {
      throw partFailure(e, write);
    } finally {
      if (!completed) {
        awaitQuietly(parts);
        abortQuietly(s3, write, uploadId);
      }
    }
  }

  /** Uploads one part in the background and hands its buffer back when done. */
  private Future<CompletedPart> uploadPart(
      S3Client s3,
      AssetWrite write,
      String uploadId,
      int number,
      byte[] data,
      int length,
      BlockingQueue<byte[]> free) {
    return partUploads.submit(
        () -> {
          try {
            var response =
                s3.uploadPart(
                    b ->
                        b.bucket(write.bucket())
                            .key(write.key())
                            .uploadId(uploadId)
                            .partNumber(number)
                            .contentLength((long) length),
                    RequestBody.fromInputStream(new ByteArrayInputStream(data, 0, length), length));
            return CompletedPart.builder().partNumber(number).eTag(response.eTag()).build();
          } finally {
            free.add(data);
          }
        });
  }

  /** Stops reading the source as soon as one part has failed. */
  private static void failFast(List<Future<CompletedPart>> uploads)
      throws ExecutionException, InterruptedException {
    for (Future<CompletedPart> upload : uploads) {
      if (upload.isDone()) {
        upload.get();
      }
    }
  }

  private static Problem partFailure(Throwable cause, AssetWrite write) {
    if (cause instanceof Problem problem) {
      return problem;
    }
    if (cause instanceof S3Exception e) {
      return problem(e, "UploadPart", write.location());
    }
    if (cause instanceof SdkClientException e) {
      return unreachable(e);
    }
    return new Problem(
        "UploadFailed", "uploading " + write.location() + " failed: " + cause, true, cause);
  }

  @PreDestroy
  void shutdown() {
    partUploads.shutdownNow();
  }

  private StoredAsset copy(AssetWrite write, AssetContent.S3Object source) {
    String from = location(source.bucket(), source.key());
    ObjectInfo info =
        head(write.region(), source.bucket(), source.key(), source.versionId())
            .orElseThrow(
                () ->
                    new Problem(
                        "SourceNotFound", from + " does not exist: check spec.source.s3", false));
    if (info.size() > MAX_COPY_SIZE) {
      throw new Problem(
          "SourceTooLarge",
          from + " is larger than 5 GiB, which server-side copies do not support yet",
          false);
    }
    String sha256 = null; // reported only when this copy verified it
    if (write.expectedSha256() != null) {
      sha256 = digestOf(write.region(), source, info.etag());
      verify(write, sha256);
    }
    Map<String, String> metadata = new HashMap<>(write.metadata());
    if (sha256 != null) {
      metadata.put(ObjectOwner.SHA256, sha256);
    }
    String contentType =
        AssetWrite.DEFAULT_CONTENT_TYPE.equals(write.contentType()) && info.contentType() != null
            ? info.contentType()
            : write.contentType();
    var response =
        withBucket(
            write,
            "CopyObject",
            () ->
                s3(write.region())
                    .copyObject(
                        b ->
                            b.sourceBucket(source.bucket())
                                .sourceKey(source.key())
                                .sourceVersionId(blankToNull(source.versionId()))
                                .copySourceIfMatch(quote(info.etag()))
                                .ifNoneMatch(ifNoneMatch(write))
                                .ifMatch(ifMatch(write))
                                .destinationBucket(write.bucket())
                                .destinationKey(write.key())
                                .metadataDirective(MetadataDirective.REPLACE)
                                .metadata(metadata)
                                .contentType(contentType)
                                .taggingDirective(TaggingDirective.REPLACE)
                                .tagging(tagging(write.tags()))));
    return stored(
        withContentType(write, contentType),
        unquote(response.copyObjectResult().eTag()),
        response.versionId(),
        info.size(),
        sha256);
  }

  /** Streams the source object through SHA-256 without keeping it. */
  private String digestOf(String region, AssetContent.S3Object source, String etag) {
    MessageDigest digest = Fingerprint.sha256();
    try (var in =
        s3(region)
            .getObject(
                b ->
                    b.bucket(source.bucket())
                        .key(source.key())
                        .ifMatch(quote(etag))
                        .versionId(blankToNull(source.versionId())))) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new Problem(
          "S3Unreachable",
          "reading " + location(source.bucket(), source.key()) + " failed: " + e.getMessage(),
          true,
          e);
    } catch (S3Exception e) {
      throw problem(e, "GetObject", location(source.bucket(), source.key()));
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void verify(AssetWrite write, String actual) {
    if (write.expectedSha256() != null && !write.expectedSha256().equalsIgnoreCase(actual)) {
      // Neither digest is printed: the content may be a Secret's.
      throw new Problem(
          "ChecksumMismatch",
          "the content's sha256 does not match spec.sha256 (--sha256): nothing was uploaded;"
              + " fix the source or the expected digest",
          false);
    }
  }

  /** Runs the first write to a bucket, creating the bucket when it is missing and allowed. */
  private <T> T withBucket(AssetWrite write, String action, Supplier<T> operation) {
    try {
      return operation.get();
    } catch (S3Exception e) {
      if (!"NoSuchBucket".equals(code(e))) {
        throw problem(e, action, write.location());
      }
      if (!write.createBucket()) {
        throw new Problem(
            "BucketNotFound",
            "bucket "
                + write.bucket()
                + " does not exist in "
                + region(write.region())
                + ": create it, or set spec.createBucket: true",
            false,
            e);
      }
      createBucket(write);
      try {
        return operation.get();
      } catch (S3Exception again) {
        throw problem(again, action, write.location());
      }
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
  }

  private void createBucket(AssetWrite write) {
    String region = region(write.region());
    try {
      s3(region)
          .createBucket(
              b -> {
                b.bucket(write.bucket());
                if (!"us-east-1".equals(region)) {
                  b.createBucketConfiguration(c -> c.locationConstraint(region));
                }
              });
    } catch (BucketAlreadyOwnedByYouException e) {
      // created meanwhile: fine
    } catch (S3Exception e) {
      throw problem(e, "CreateBucket", "s3://" + write.bucket());
    } catch (SdkClientException e) {
      throw unreachable(e);
    }
  }

  /** Maps an S3 error to a condition reason and a message saying what to change. */
  static Problem problem(S3Exception e, String action, String location) {
    String code = code(e);
    String detail =
        code
            + (e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
                ? ": " + e.awsErrorDetails().errorMessage()
                : "");
    Optional<String> bucketRegion = bucketRegion(e);
    if (bucketRegion.isPresent() && (e.statusCode() == 301 || e.statusCode() == 400)) {
      return new Problem(
          "WrongRegion",
          location
              + " is in region "
              + bucketRegion.get()
              + ": set the region (spec.region, --region) to "
              + bucketRegion.get(),
          false,
          e);
    }
    if ("PreconditionFailed".equals(code)
        || e.statusCode() == 412
        || "ConditionalRequestConflict".equals(code)) {
      return new Problem(
          "Conflict",
          location + " changed while it was being written; looking at it again",
          true,
          e);
    }
    if ("AccessDenied".equals(code) || e.statusCode() == 403) {
      return new Problem(
          "AccessDenied",
          "S3 denied "
              + action
              + " on "
              + location
              + " ("
              + detail
              + "): allow the operator's IAM role "
              + permission(action),
          true,
          e);
    }
    if ("NoSuchBucket".equals(code)) {
      return new Problem("BucketNotFound", location + ": the bucket does not exist", false, e);
    }
    if ("InvalidBucketName".equals(code)) {
      return new Problem("InvalidBucketName", location + ": S3 refuses the bucket name", false, e);
    }
    if (e.statusCode() >= 500
        || e.statusCode() == 429
        || "SlowDown".equals(code)
        || e.isThrottlingException()) {
      return new Problem(
          "S3Unavailable",
          "S3 failed " + action + " on " + location + " (" + detail + "); retrying",
          true,
          e);
    }
    return new Problem(
        "S3Error", "S3 refused " + action + " on " + location + " (" + detail + ")", false, e);
  }

  /** The IAM permission an S3 call needs. */
  static String permission(String action) {
    return switch (action) {
      case "HeadObject", "GetObject" ->
          "s3:GetObject (and s3:ListBucket: without it S3 answers 403 for a missing key)";
      case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload" ->
          "s3:PutObject (and s3:PutObjectTagging when the object has tags)";
      case "CopyObject" ->
          "s3:GetObject on the source and s3:PutObject (and s3:PutObjectTagging) on the target";
      case "DeleteObject" -> "s3:DeleteObject";
      case "ListObjectsV2" -> "s3:ListBucket";
      case "CreateBucket" -> "s3:CreateBucket";
      default -> "the S3 permission behind " + action;
    };
  }

  private static Optional<String> bucketRegion(S3Exception e) {
    return e.awsErrorDetails() == null || e.awsErrorDetails().sdkHttpResponse() == null
        ? Optional.empty()
        : e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region");
  }

  private static Problem unreachable(SdkClientException e) {
    return new Problem(
        "S3Unreachable", "cannot reach S3: " + e.getMessage() + "; retrying", true, e);
  }

  private static String code(S3Exception e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    return code == null || code.isBlank() ? "HTTP " + e.statusCode() : code;
  }

  private static String ifNoneMatch(AssetWrite write) {
    return AssetWrite.ABSENT.equals(write.precondition()) ? "*" : null;
  }

  private static String ifMatch(AssetWrite write) {
    return write.precondition() == null || AssetWrite.ABSENT.equals(write.precondition())
        ? null
        : quote(write.precondition());
  }

  private static String quote(String etag) {
    return etag == null ? null : "\"" + unquote(etag) + "\"";
  }

  /** Lets parts still uploading finish (bounded), so that the abort frees all of them. */
  private static void awaitQuietly(List<Future<CompletedPart>> parts) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (Future<CompletedPart> part : parts) {
      try {
        part.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException
          | java.util.concurrent.TimeoutException
          | java.util.concurrent.CancellationException e) {
        part.cancel(true);
      }
    }
  }

  private void abortQuietly(S3Client s3, AssetWrite write, String uploadId) {
    try {
      s3.abortMultipartUpload(b -> b.bucket(write.bucket()).key(write.key()).uploadId(uploadId));
    } catch (RuntimeException e) {
      LOG.warn(
          "Could not abort multipart upload {} of {}: {} (an AbortIncompleteMultipartUpload lifecycle rule cleans it up)",
          uploadId,
          write.location(),
          e.getMessage());
    }
  }

  private StoredAsset stored(
      AssetWrite write, String etag, String versionId, long size, String sha256) {
    return new StoredAsset(
        write.bucket(),
        write.key(),
        write.location(),
        etag,
        versionId,
        size,
        sha256,
        write.contentType());
  }

  private static AssetWrite withContentType(AssetWrite write, String contentType) {
    return new AssetWrite(
        write.bucket(),
        write.key(),
        write.region(),
        contentType,
        write.metadata(),
        write.tags(),
        write.expectedSha256(),
        write.createBucket(),
        write.precondition());
  }

  private S3Client s3(String region) {
    return aws.s3(region);
  }

  private String region(String region) {
    return region == null || region.isBlank() ? aws.defaultRegion() : region;
  }

  static String tagging(Map<String, String> tags) {
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

  static String unquote(String etag) {
    return etag == null ? null : etag.replace("\"", "");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  static String location(String bucket, String key) {
    return "s3://" + bucket + "/" + key;
  }
}
