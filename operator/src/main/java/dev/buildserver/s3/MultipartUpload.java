package dev.buildserver.s3;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Streams content of unknown length to S3 in parts of {@code buildserver.asset.part-size-mib}:
 * {@code parts-in-flight} parts upload while the next is read and hashed, so memory stays bounded.
 * A declared SHA-256 is checked before the upload completes; a mismatching or failed upload is
 * aborted, never completed.
 */
final class MultipartUpload implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MultipartUpload.class);

  private final Buckets buckets;
  private final int partSize;

  /** Parts of one upload sent at once while the next part is read. */
  private final int partsInFlight;

  /** The uploads this process has begun and not yet completed or aborted. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  private final ExecutorService partUploads;

  MultipartUpload(Buckets buckets, UploadSettings settings) {
    this.buckets = buckets;
    this.partSize = settings.partSizeBytes();
    this.partsInFlight = settings.getPartsInFlight();
    this.partUploads =
        Executors.newFixedThreadPool(
            Math.max(4, partsInFlight),
            r -> {
              Thread t = new Thread(r, "s3-part-upload");
              t.setDaemon(true);
              return t;
            });
  }

  /** Whether this process is uploading parts under {@code uploadId} now. */
  boolean inFlight(String uploadId) {
    return inFlight.contains(uploadId);
  }

  /**
   * Uploads {@code first} (a full part) and the rest of {@code in}; {@code started} learns the
   * upload's id before any part is sent.
   */
  StoredObject upload(
      S3Client s3, ObjectWrite write, byte[] first, InputStream in, Consumer<String> started)
      throws IOException {
    Map<String, String> metadata = new HashMap<>(write.metadata());
    if (write.expectedSha256() != null) {
      metadata.put(ObjectOwner.SHA256, write.expectedSha256());
    }
    String uploadId =
        buckets
            .withBucket(
                write,
                "CreateMultipartUpload",
                () ->
                    s3.createMultipartUpload(
                        b ->
                            b.bucket(write.bucket())
                                .key(write.key())
                                .contentType(write.contentType())
                                .metadata(metadata)
                                .tagging(write.tagging())))
            .uploadId();
    inFlight.add(uploadId);
    boolean completed = false;
    List<Future<CompletedPart>> parts = new ArrayList<>();
    try {
      started.accept(uploadId);
      MessageDigest digest = Fingerprint.sha256();
      BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(partsInFlight + 1);
      for (int i = 0; i < partsInFlight; i++) {
        free.add(new byte[partSize]);
      }
      long size = 0;
      byte[] current = first;
      int length = first.length;
      for (int part = 1; length > 0; part++) {
        digest.update(current, 0, length);
        size += length;
        parts.add(uploadPart(s3, write, uploadId, part, current, length, free));
        current = free.take(); // waits while partsInFlight parts are uploading: bounded memory
        failFast(parts);
        length = in.readNBytes(current, 0, partSize);
      }
      List<CompletedPart> completedParts = new ArrayList<>();
      for (Future<CompletedPart> part : parts) {
        completedParts.add(part.get());
      }
      String sha256 = HexFormat.of().formatHex(digest.digest());
      ObjectStore.verify(write, sha256);
      CompleteMultipartUploadResponse done;
      try {
        done =
            s3.completeMultipartUpload(
                b ->
                    b.bucket(write.bucket())
                        .key(write.key())
                        .uploadId(uploadId)
                        .ifNoneMatch(write.ifNoneMatch())
                        .ifMatch(write.ifMatch())
                        .multipartUpload(m -> m.parts(completedParts)));
      } catch (S3Exception e) {
        throw S3Errors.problem(e, "CompleteMultipartUpload", write.location(), write.identity());
      }
      completed = true;
      return ObjectStore.stored(write, ETags.unquote(done.eTag()), done.versionId(), size, sha256);
    } catch (ExecutionException e) {
      throw partFailure(e.getCause(), write);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Problem(
          Reason.Interrupted, "the upload of " + write.location() + " was interrupted", true, e);
    } catch (RuntimeException e) {
      throw partFailure(e, write);
    } finally {
      if (!completed) {
        awaitQuietly(parts);
        abortQuietly(s3, write, uploadId);
      }
      inFlight.remove(uploadId);
    }
  }

  /** Uploads one part in the background and hands its buffer back when done. */
  private Future<CompletedPart> uploadPart(
      S3Client s3,
      ObjectWrite write,
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

  private static Problem partFailure(Throwable cause, ObjectWrite write) {
    if (cause instanceof Problem problem) {
      return problem;
    }
    if (cause instanceof S3Exception e) {
      return S3Errors.problem(e, "UploadPart", write.location(), write.identity());
    }
    if (cause instanceof SdkClientException e) {
      return S3Errors.unreachable(e);
    }
    return new Problem(
        Reason.UploadFailed, "uploading " + write.location() + " failed: " + cause, true, cause);
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
      } catch (ExecutionException | TimeoutException | CancellationException e) {
        part.cancel(true);
      }
    }
  }

  private static void abortQuietly(S3Client s3, ObjectWrite write, String uploadId) {
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

  @Override
  public void close() {
    partUploads.shutdownNow();
  }
}
