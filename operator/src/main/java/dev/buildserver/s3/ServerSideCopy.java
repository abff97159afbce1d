package dev.buildserver.s3;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/**
 * Copies an S3 object server-side (CopyObject, up to 5 GiB), only while the source still holds the
 * ETag that was seen; a declared SHA-256 is checked by streaming the source through the digest
 * first.
 */
final class ServerSideCopy {

  /** CopyObject's limit; larger copies would need UploadPartCopy. */
  static final long MAX_COPY_SIZE = 5L * 1024 * 1024 * 1024;

  private final AwsClients aws;
  private final Buckets buckets;
  private final ObjectStore store;

  ServerSideCopy(AwsClients aws, Buckets buckets, ObjectStore store) {
    this.aws = aws;
    this.buckets = buckets;
    this.store = store;
  }

  StoredObject copy(ObjectWrite write, ObjectContent.S3Object source) {
    String from = ObjectStore.location(source.bucket(), source.key());
    ObjectInfo info =
        store
            .head(
                write.identity(), write.region(), source.bucket(), source.key(), source.versionId())
            .orElseThrow(
                () ->
                    new Problem(
                        Reason.SourceNotFound,
                        from + " does not exist: check spec.source.s3",
                        false));
    if (info.size() > MAX_COPY_SIZE) {
      throw new Problem(
          Reason.SourceTooLarge,
          from + " is larger than 5 GiB, which server-side copies do not support yet",
          false);
    }
    String sha256 = null; // reported only when this copy verified it
    if (write.expectedSha256() != null) {
      sha256 = digestOf(write, source, info.etag());
      ObjectStore.verify(write, sha256);
    }
    Map<String, String> metadata = new HashMap<>(write.metadata());
    if (sha256 != null) {
      metadata.put(ObjectOwner.SHA256, sha256);
    }
    String contentType =
        ObjectWrite.DEFAULT_CONTENT_TYPE.equals(write.contentType()) && info.contentType() != null
            ? info.contentType()
            : write.contentType();
    var response =
        buckets.withBucket(
            write,
            "CopyObject",
            () ->
                aws.s3(write.identity(), write.region())
                    .copyObject(
                        b ->
                            b.sourceBucket(source.bucket())
                                .sourceKey(source.key())
                                .sourceVersionId(blankToNull(source.versionId()))
                                .copySourceIfMatch(ETags.quote(info.etag()))
                                .ifNoneMatch(write.ifNoneMatch())
                                .ifMatch(write.ifMatch())
                                .destinationBucket(write.bucket())
                                .destinationKey(write.key())
                                .metadataDirective(MetadataDirective.REPLACE)
                                .metadata(metadata)
                                .contentType(contentType)
                                .taggingDirective(TaggingDirective.REPLACE)
                                .tagging(write.tagging())));
    return ObjectStore.stored(
        write.withContentType(contentType),
        ETags.unquote(response.copyObjectResult().eTag()),
        response.versionId(),
        info.size(),
        sha256);
  }

  /** Streams the source object through SHA-256 without keeping it. */
  private String digestOf(ObjectWrite write, ObjectContent.S3Object source, String etag) {
    MessageDigest digest = Fingerprint.sha256();
    try (var in =
        aws.s3(write.identity(), write.region())
            .getObject(
                b ->
                    b.bucket(source.bucket())
                        .key(source.key())
                        .ifMatch(ETags.quote(etag))
                        .versionId(blankToNull(source.versionId())))) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new Problem(
          Reason.S3Unreachable,
          "reading "
              + ObjectStore.location(source.bucket(), source.key())
              + " failed: "
              + e.getMessage(),
          true,
          e);
    } catch (S3Exception e) {
      throw S3Errors.problem(
          e, "GetObject", ObjectStore.location(source.bucket(), source.key()), write.identity());
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
