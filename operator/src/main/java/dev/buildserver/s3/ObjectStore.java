package dev.buildserver.s3;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The one way the features read and write S3 objects (the BuildAsset and BalanceReport reconcilers,
 * the CLI and the HTTP API): single PUTs, streamed multipart uploads ({@link MultipartUpload}),
 * server-side copies ({@link ServerSideCopy}), bucket creation ({@link Buckets}), reads, listings
 * and exact deletes, every S3 error mapped by {@link S3Errors}.
 */
@Singleton
public class ObjectStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ObjectStore.class);

  /**
   * The default part size of multipart uploads (buildserver.asset.part-size-mib); content smaller
   * than the part size is written with one PutObject.
   */
  public static final int PART_SIZE = 8 * 1024 * 1024;

  private final AwsClients aws;
  private final Semaphore uploads;
  private final Buckets buckets;
  private final MultipartUpload multipart;
  private final ServerSideCopy copies;
  private final int partSize;
  private final BuildserverMetrics metrics;
  private final ExactDeletes exactDeletes;

  public ObjectStore(AwsClients aws) {
    this(aws, ConditionalDeletes.unregistered());
  }

  /** A store with the default upload limits and no metrics, deleting as {@code deletes} learns. */
  public ObjectStore(AwsClients aws, ConditionalDeletes deletes) {
    this(aws, new UploadSettings(), BuildserverMetrics.unregistered(), deletes);
  }

  @Inject
  public ObjectStore(
      AwsClients aws,
      UploadSettings settings,
      BuildserverMetrics metrics,
      ConditionalDeletes deletes) {
    this.aws = aws;
    this.metrics = metrics;
    this.exactDeletes = new ExactDeletes(aws, deletes);
    // Each streamed upload holds up to (parts in flight + 1) x part size of memory.
    this.uploads = new Semaphore(settings.getConcurrentUploads(), true);
    this.partSize = settings.partSizeBytes();
    long uploadMemory =
        (long) settings.getConcurrentUploads() * (settings.getPartsInFlight() + 1) * partSize;
    if (uploadMemory > Runtime.getRuntime().maxMemory() / 4 * 3) {
      LOG.warn(
          "buildserver.asset: {} streamed uploads at once, each with {} parts of {} MiB in flight"
              + " and one being read, can hold {} MiB of a {} MiB heap: lower concurrent-uploads,"
              + " parts-in-flight or part-size-mib, or raise -Xmx",
          settings.getConcurrentUploads(),
          settings.getPartsInFlight(),
          settings.getPartSizeMib(),
          uploadMemory >> 20,
          Runtime.getRuntime().maxMemory() >> 20);
    }
    this.buckets = new Buckets(aws);
    this.multipart = new MultipartUpload(buckets, settings);
    this.copies = new ServerSideCopy(aws, buckets, this);
  }

  /** The region used when a resource or command names none. */
  public String defaultRegion() {
    return aws.defaultRegion();
  }

  /** Writes {@code content} as described by {@code write} and returns what S3 now holds. */
  public StoredObject put(ObjectWrite write, ObjectContent content) {
    if (content instanceof ObjectContent.Bytes bytes) {
      return counted(putBytes(write, bytes.data()));
    }
    if (content instanceof ObjectContent.S3Object object) {
      return copies.copy(write, object);
    }
    ObjectContent.Stream stream = (ObjectContent.Stream) content;
    ObjectContent.Opened opened = stream.open().get();
    ObjectWrite typed =
        ObjectWrite.DEFAULT_CONTENT_TYPE.equals(write.contentType())
                && opened.contentType().isPresent()
            ? write.withContentType(opened.contentType().get())
            : write;
    try (InputStream in = opened.body()) {
      return counted(putStream(typed, in, stream.uploadStarted()));
    } catch (IOException e) {
      throw new Problem(
          Reason.SourceUnreadable, "reading the content failed: " + e.getMessage(), false, e);
    }
  }

  /** Bytes sent to S3 (a server-side copy sends none). */
  private StoredObject counted(StoredObject stored) {
    metrics.uploaded(stored.size());
    return stored;
  }

  /** The object at bucket/key (optionally one version), or empty when there is none. */
  public Optional<ObjectInfo> head(
      AwsIdentity identity, String region, String bucket, String key, String versionId) {
    try {
      HeadObjectResponse head =
          aws.s3(identity, region)
              .headObject(b -> b.bucket(bucket).key(key).versionId(blankToNull(versionId)));
      return Optional.of(
          new ObjectInfo(
              ETags.unquote(head.eTag()),
              head.versionId(),
              head.contentLength() == null ? 0 : head.contentLength(),
              head.contentType(),
              head.lastModified(),
              head.metadata()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw S3Errors.problem(e, "HeadObject", location(bucket, key), identity);
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
  }

  /**
   * How the store treats {@code If-Match} on DeleteObject, learnt once per endpoint and bucket: see
   * {@link ExactDeletes#plan}.
   */
  public ExactDeletes.DeletePlan planDelete(
      AwsIdentity identity, String region, String bucket, String key) {
    return exactDeletes.plan(identity, region, bucket, key);
  }

  /** Deletes exactly the object that was seen: see {@link ExactDeletes#delete}. */
  public ExactDeletes.Deleted deleteExactly(
      AwsIdentity identity,
      String region,
      String bucket,
      String key,
      String etag,
      String versionId,
      ExactDeletes.DeletePlan plan) {
    return exactDeletes.delete(identity, region, bucket, key, etag, versionId, plan);
  }

  /**
   * Aborts the multipart upload {@code uploadId} of bucket/key, which its writer recorded when it
   * began it and never finished (a kill -9, a lost node): S3 keeps and bills its parts until it is
   * aborted. Only an upload its writer recorded is ever aborted, so that uploads of other writers
   * to the same key (the CLI, the HTTP API, another shard) are left alone; never one this process
   * is running. Best effort: without s3:AbortMultipartUpload, or on a store without the call, it
   * warns (an AbortIncompleteMultipartUpload lifecycle rule is the other way). Returns whether it
   * aborted.
   */
  public boolean abortUpload(
      AwsIdentity identity, String region, String bucket, String key, String uploadId) {
    if (uploadId == null || uploadId.isBlank() || multipart.inFlight(uploadId)) {
      return false;
    }
    try {
      aws.s3(identity, region)
          .abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
      LOG.info(
          "Aborted the unfinished multipart upload of {} an earlier writer left",
          location(bucket, key));
      return true;
    } catch (NoSuchUploadException e) {
      return false; // completed or aborted meanwhile
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        LOG.warn(
            "Could not abort the unfinished multipart upload of {}: {} (needs {})",
            location(bucket, key),
            e.awsErrorDetails() == null ? e.statusCode() : e.awsErrorDetails().errorCode(),
            S3Errors.permission("AbortMultipartUpload"));
      }
    } catch (SdkClientException e) {
      LOG.warn(
          "Could not abort the unfinished multipart upload of {}: S3 unreachable",
          location(bucket, key));
    }
    return false;
  }

  /** Copies the object's bytes to {@code out}. */
  public void get(
      AwsIdentity identity, String region, String bucket, String key, OutputStream out) {
    try {
      aws.s3(identity, region)
          .getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toOutputStream(out));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new Problem(Reason.NotFound, location(bucket, key) + " does not exist", false, e);
      }
      throw S3Errors.problem(e, "GetObject", location(bucket, key), identity);
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
  }

  /** One object of a listing. */
  public record Listed(String key, long size, String etag, Instant lastModified) {}

  /** The first {@code limit} objects under {@code prefix}, in key order. */
  public List<Listed> list(
      AwsIdentity identity, String region, String bucket, String prefix, int limit) {
    try {
      List<Listed> result = new ArrayList<>();
      var objects =
          aws.s3(identity, region)
              .listObjectsV2Paginator(b -> b.bucket(bucket).prefix(blankToNull(prefix)))
              .contents()
              .iterator();
      while (objects.hasNext() && result.size() < limit) {
        var o = objects.next();
        result.add(new Listed(o.key(), o.size(), ETags.unquote(o.eTag()), o.lastModified()));
      }
      return result;
    } catch (S3Exception e) {
      throw S3Errors.problem(e, "ListObjectsV2", "s3://" + bucket, identity);
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
  }

  private StoredObject putBytes(ObjectWrite write, byte[] data) {
    String sha256 = Fingerprint.sha256Hex(data);
    verify(write, sha256);
    Map<String, String> metadata = new HashMap<>(write.metadata());
    metadata.put(ObjectOwner.SHA256, sha256);
    var response =
        buckets.withBucket(
            write,
            "PutObject",
            () ->
                aws.s3(write.identity(), write.region())
                    .putObject(
                        b ->
                            b.bucket(write.bucket())
                                .key(write.key())
                                .contentType(write.contentType())
                                .metadata(metadata)
                                .tagging(write.tagging())
                                .ifNoneMatch(write.ifNoneMatch())
                                .ifMatch(write.ifMatch()),
                        RequestBody.fromBytes(data)));
    return stored(write, ETags.unquote(response.eTag()), response.versionId(), data.length, sha256);
  }

  private StoredObject putStream(ObjectWrite write, InputStream in, Consumer<String> started)
      throws IOException {
    try {
      uploads.acquire(); // bounds the memory of concurrent streamed uploads
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Problem(
          Reason.Interrupted, "interrupted before uploading " + write.location(), true, e);
    }
    try {
      byte[] first = in.readNBytes(partSize); // grows as data arrives: small bodies stay small
      if (first.length < partSize) {
        return putBytes(write, first);
      }
      return multipart.upload(aws.s3(write.identity(), write.region()), write, first, in, started);
    } finally {
      uploads.release();
    }
  }

  /** Refuses content whose digest is not the declared one; neither digest is printed. */
  static void verify(ObjectWrite write, String actual) {
    if (write.expectedSha256() != null && !write.expectedSha256().equalsIgnoreCase(actual)) {
      // Neither digest is printed: the content may be a Secret's.
      throw new Problem(
          Reason.ChecksumMismatch,
          "the content's sha256 does not match "
              + Setting.SHA256.mention()
              + ": nothing was uploaded;"
              + " fix the source or the expected digest",
          false);
    }
  }

  static StoredObject stored(
      ObjectWrite write, String etag, String versionId, long size, String sha256) {
    return new StoredObject(
        write.bucket(),
        write.key(),
        write.location(),
        etag,
        versionId,
        size,
        sha256,
        write.contentType());
  }

  /** The s3:// location of an object. */
  public static String location(String bucket, String key) {
    return "s3://" + bucket + "/" + key;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  @PreDestroy
  @Override
  public void close() {
    multipart.close();
  }
}
