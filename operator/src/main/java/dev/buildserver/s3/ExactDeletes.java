package dev.buildserver.s3;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Deletes of exactly the object that was seen, for {@link ObjectStore}: by versionId on a versioned
 * bucket, else with {@code If-Match} where the store honours it ({@link ConditionalDeletes} keeps
 * what each store was found to do), else after the caller's read of the owner, or not at all under
 * {@code buildserver.s3.unsafe-deletes: refuse}.
 */
final class ExactDeletes {

  private static final Logger LOG = LoggerFactory.getLogger(ExactDeletes.class);

  /** An ETag no object has: a delete conditional on it must fail where conditions are honoured. */
  private static final String MISMATCH = "\"00000000000000000000000000000000\"";

  private static final Optional<String> NONE = Optional.empty();

  private final AwsClients aws;
  private final ConditionalDeletes deletes;

  ExactDeletes(AwsClients aws, ConditionalDeletes deletes) {
    this.aws = aws;
    this.deletes = deletes;
  }

  /**
   * What came of {@link #delete}: whether the object went (or was already gone), and the warning to
   * show, once per endpoint, when the store turned out not to honour conditional deletes.
   */
  public record Deleted(boolean deleted, Optional<String> warning) {}

  /**
   * What is known, before a delete, of how the store treats {@code If-Match} on DeleteObject:
   * {@code support} is null when it could not be learnt; {@code probed} when a probe ran just now;
   * {@code warning} is set the first time an endpoint turns out not to honour it.
   */
  public record DeletePlan(
      ConditionalDeletes.Support support, boolean probed, Optional<String> warning) {

    /** For an object with a version: deleted by its versionId, whatever the store's If-Match. */
    public static final DeletePlan BY_VERSION = new DeletePlan(null, false, Optional.empty());
  }

  /** Whether a versionId names a version (a versioned bucket), not the "null" of an unversioned. */
  static boolean versioned(String versionId) {
    return versionId != null && !versionId.isBlank() && !"null".equals(versionId);
  }

  /**
   * Learns, once per endpoint and bucket, whether the store honours {@code If-Match} on
   * DeleteObject ({@link #probeConditionalDeletes}). Called before the owner is read, so that the
   * probe does not widen the gap between that read and the delete.
   */
  public DeletePlan plan(AwsIdentity identity, String region, String bucket, String key) {
    String endpoint = aws.s3Endpoint(region);
    Optional<ConditionalDeletes.Support> known = deletes.known(endpoint, bucket);
    if (known.isPresent()) {
      return new DeletePlan(known.get(), false, NONE);
    }
    ConditionalDeletes.Support learnt = probeConditionalDeletes(identity, region, bucket, key);
    return learnt == null
        ? new DeletePlan(null, true, NONE)
        : new DeletePlan(learnt, true, deletes.learn(endpoint, bucket, learnt));
  }

  /**
   * Deletes exactly the object that was seen: the version {@code versionId} on a versioned bucket,
   * else only while the key still holds {@code etag}. Returns not deleted when the key was replaced
   * meanwhile (the newer object is left alone); a missing object or bucket is not an error.
   *
   * <p>Where {@code plan} says the store does not honour {@code If-Match} on DeleteObject, the
   * caller's read of the owner is the only check: the object is deleted unconditionally, or kept
   * with an {@link Reason#UnsafeDeleteRefused} problem under {@code buildserver.s3.unsafe-deletes:
   * refuse}. Where it could not be learnt, {@code refuse} keeps the object too, and {@code allow}
   * tries the conditional delete and learns from a 501.
   */
  public Deleted delete(
      AwsIdentity identity,
      String region,
      String bucket,
      String key,
      String etag,
      String versionId,
      DeletePlan plan) {
    if (versioned(versionId)) {
      return new Deleted(
          deleteObject(identity, region, bucket, key, b -> b.versionId(versionId)), plan.warning());
    }
    String endpoint = aws.s3Endpoint(region);
    ConditionalDeletes.Support support = etag == null ? null : plan.support();
    if (support == ConditionalDeletes.Support.HONOURED) {
      return new Deleted(
          deleteObject(identity, region, bucket, key, b -> b.ifMatch(ETags.quote(etag))),
          plan.warning());
    }
    if (deletes.refusesUnsafeDeletes()) {
      throw new Problem(
          Reason.UnsafeDeleteRefused,
          ObjectStore.location(bucket, key)
              + " is kept: the S3 store at "
              + endpoint
              + " "
              + (support == null
                  ? "could not be asked whether it honours If-Match on DeleteObject (the probe"
                      + " next to the key could not be written)"
                  : support.says())
              + " and buildserver.s3.unsafe-deletes is refuse; delete the object yourself to let"
              + " its owner go",
          false);
    }
    if (support == null && etag != null) {
      try {
        return new Deleted(
            deleteObject(identity, region, bucket, key, b -> b.ifMatch(ETags.quote(etag))),
            plan.warning());
      } catch (Problem p) {
        if (!(p.getCause() instanceof S3Exception e && notImplemented(e))) {
          throw p;
        }
        Optional<String> warning =
            deletes.learn(endpoint, bucket, ConditionalDeletes.Support.NOT_IMPLEMENTED);
        return new Deleted(deleteObject(identity, region, bucket, key, b -> {}), warning);
      }
    }
    // The caller read the owner just before: that read is the only check this store allows.
    return new Deleted(deleteObject(identity, region, bucket, key, b -> {}), plan.warning());
  }

  /**
   * Learns whether the store honours {@code If-Match} on DeleteObject, on an object of the
   * operator's own: a marker written next to {@code key} (so that a key-prefix policy allows it; at
   * the bucket's root when that name would be too long), deleted with a mismatching ETag, then
   * removed, conditionally where the store allows it (a bucket policy may demand it). Returns null
   * when the marker cannot be written (no permission there).
   */
  private ConditionalDeletes.Support probeConditionalDeletes(
      AwsIdentity identity, String region, String bucket, String key) {
    String name = ".buildserver-delete-probe-" + java.util.UUID.randomUUID();
    String folder = key.substring(0, key.lastIndexOf('/') + 1);
    String marker =
        (folder + name).getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 1024
            ? folder + name
            : name;
    S3Client s3 = aws.s3(identity, region);
    String markerEtag;
    try {
      markerEtag =
          s3.putObject(b -> b.bucket(bucket).key(marker), RequestBody.fromBytes(new byte[0]))
              .eTag();
    } catch (S3Exception | SdkClientException e) {
      LOG.debug(
          "Could not write a probe next to {}: {}",
          ObjectStore.location(bucket, key),
          e.toString());
      return null;
    }
    ConditionalDeletes.Support support = null;
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(marker).ifMatch(MISMATCH));
      support = ConditionalDeletes.Support.IGNORED; // the marker went despite the mismatch
    } catch (S3Exception e) {
      if (e.statusCode() == 412 || "PreconditionFailed".equals(S3Errors.code(e))) {
        support = ConditionalDeletes.Support.HONOURED;
      } else if (notImplemented(e)) {
        support = ConditionalDeletes.Support.NOT_IMPLEMENTED;
      } else {
        LOG.debug(
            "The delete probe next to {} answered {}",
            ObjectStore.location(bucket, key),
            e.statusCode());
      }
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    } finally {
      removeMarker(s3, bucket, marker, markerEtag, support);
    }
    return support;
  }

  /** Removes the probe's marker: conditionally, unless the store cannot take the condition. */
  private static void removeMarker(
      S3Client s3, String bucket, String marker, String etag, ConditionalDeletes.Support support) {
    try {
      if (support == ConditionalDeletes.Support.IGNORED) {
        return; // the probe's delete took it
      }
      if (support == ConditionalDeletes.Support.NOT_IMPLEMENTED || etag == null) {
        s3.deleteObject(b -> b.bucket(bucket).key(marker));
      } else {
        s3.deleteObject(b -> b.bucket(bucket).key(marker).ifMatch(etag));
      }
    } catch (S3Exception | SdkClientException e) {
      LOG.warn(
          "Could not remove the delete probe {}: {}",
          ObjectStore.location(bucket, marker),
          e.toString());
    }
  }

  private static boolean notImplemented(S3Exception e) {
    return e.statusCode() == 501 || "NotImplemented".equals(S3Errors.code(e));
  }

  /** One DeleteObject; false when a precondition failed (the key holds another object now). */
  private boolean deleteObject(
      AwsIdentity identity,
      String region,
      String bucket,
      String key,
      Consumer<DeleteObjectRequest.Builder> condition) {
    try {
      aws.s3(identity, region)
          .deleteObject(
              b -> {
                b.bucket(bucket).key(key);
                condition.accept(b);
              });
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return true;
      }
      if (e.statusCode() == 412 || "PreconditionFailed".equals(S3Errors.code(e))) {
        return false;
      }
      throw S3Errors.problem(e, "DeleteObject", ObjectStore.location(bucket, key), identity);
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
  }
}
