package dev.buildserver.s3;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Singleton;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Writes and deletes S3 objects that a resource owns, under the rules of contract §3: every object
 * written carries its owner's identity, a write happens only if the key still holds what was seen,
 * an object of someone else is never taken unless the owner's spec allows it, and a delete removes
 * only the object the owner wrote. The one path for BuildAssets and BalanceReport outputs.
 */
@Singleton
public class OwnedObjects {

  /** What came of a write. */
  public sealed interface Outcome {}

  /** S3 already holds the wanted content and metadata: nothing was written. */
  public record UpToDate(ObjectInfo object) implements Outcome {}

  /** The object was written; {@code drift} says why when it had been changed outside. */
  public record Written(StoredObject stored, Optional<String> drift) implements Outcome {}

  /** The key holds an object this owner may not take; the message says what to change. */
  public record Refused(String message) implements Outcome {}

  /**
   * An object an owner wants in S3.
   *
   * @param write where and how, its metadata already stamped by {@link ObjectOwner#stamp}
   * @param fingerprint the fingerprint of the content and metadata, as stamped
   * @param recordedEtag the ETag the owner last recorded for the location: it tells its own object
   *     replaced outside from an unchanged one, and never makes an object its own
   * @param overwrite whether the owner's spec allows taking a foreign object
   * @param recordedUpload the multipart upload the owner recorded beginning and never finished (a
   *     writer killed midway): aborted before anything else is written
   * @param uploadStarted told the id of a multipart upload this write begins, for the owner to
   *     record
   */
  public record Wanted(
      ObjectOwner owner,
      ObjectWrite write,
      ObjectContent content,
      String fingerprint,
      Optional<String> recordedEtag,
      boolean overwrite,
      Optional<String> recordedUpload,
      Consumer<String> uploadStarted) {

    /** A write whose content never goes up in parts (it is in memory). */
    public Wanted(
        ObjectOwner owner,
        ObjectWrite write,
        ObjectContent content,
        String fingerprint,
        Optional<String> recordedEtag,
        boolean overwrite) {
      this(
          owner,
          write,
          content,
          fingerprint,
          recordedEtag,
          overwrite,
          Optional.empty(),
          uploadId -> {});
    }
  }

  /** What came of a delete. */
  public enum Result {
    DELETED,
    ABSENT,
    NOT_OWNED
  }

  /**
   * What came of a delete, and the warning to show (once per endpoint) when the store turned out
   * not to honour conditional deletes.
   */
  public record Deletion(Result result, Optional<String> warning) {
    static Deletion of(Result result) {
      return new Deletion(result, Optional.empty());
    }
  }

  private final ObjectStore store;
  private final KubernetesClient client;

  public OwnedObjects(ObjectStore store, KubernetesClient client) {
    this.store = store;
    this.client = client;
  }

  public Outcome write(Wanted wanted) {
    ObjectWrite write = wanted.write();
    // The parts a killed predecessor left: only the upload this owner recorded, never another
    // writer's upload to the same key.
    wanted
        .recordedUpload()
        .ifPresent(
            id ->
                store.abortUpload(
                    write.identity(), write.region(), write.bucket(), write.key(), id));
    if (wanted.recordedEtag().isEmpty() && wanted.content() instanceof ObjectContent.Bytes) {
      // The owner never wrote here: a PUT only if the key is free (If-None-Match: *) answers in
      // one request what a HEAD and a PUT would. A key that holds anything gets the full check.
      try {
        return new Written(store.put(write.onlyIf(null), wanted.content()), Optional.empty());
      } catch (Problem taken) {
        if (taken.kind() != Reason.Conflict) {
          throw taken;
        }
      }
    }
    Optional<ObjectInfo> existing =
        store.head(write.identity(), write.region(), write.bucket(), write.key(), null);
    var decision =
        OwnershipCheck.decide(
            write.location(),
            existing,
            wanted.owner(),
            wanted.fingerprint(),
            wanted.recordedEtag(),
            existing
                .flatMap(o -> ObjectOwner.from(o.metadata()))
                .filter(o -> !o.sameAs(wanted.owner())) // a GET only for other owners
                .map(this::isAlive)
                .orElse(false),
            wanted.overwrite());
    if (decision instanceof OwnershipCheck.Conflict conflict) {
      return new Refused(conflict.message());
    }
    if (decision instanceof OwnershipCheck.UpToDate upToDate) {
      return new UpToDate(upToDate.object());
    }
    ObjectContent content =
        wanted.content() instanceof ObjectContent.Stream stream
            ? new ObjectContent.Stream(stream.open(), wanted.uploadStarted())
            : wanted.content();
    // Only if the key still holds what was just seen: a concurrent writer makes this a Conflict.
    StoredObject stored =
        store.put(write.onlyIf(existing.map(ObjectInfo::etag).orElse(null)), content);
    return new Written(stored, ((OwnershipCheck.Write) decision).drift());
  }

  /**
   * Writes an object that no resource owns (the HTTP API's writes) under the same rules: an object
   * a live resource owns is never replaced unless {@code overwrite} (a Conflict, answered 409), and
   * the write happens only if the key still holds what was seen. What it writes carries no owner
   * metadata, so the resource that owned the key reports a Conflict instead of writing it back.
   */
  public StoredObject writeUnowned(ObjectWrite write, ObjectContent content, boolean overwrite) {
    Optional<ObjectInfo> existing =
        store.head(write.identity(), write.region(), write.bucket(), write.key(), null);
    Optional<ObjectOwner> owner = existing.flatMap(o -> ObjectOwner.from(o.metadata()));
    if (owner.isPresent() && !overwrite && isAlive(owner.get())) {
      throw new Problem(
          Reason.Conflict,
          write.location()
              + " is managed by "
              + owner.get().describe()
              + ": set overwrite=true to replace it anyway, or choose another key",
          false);
    }
    return store.put(write.onlyIf(existing.map(ObjectInfo::etag).orElse(null)), content);
  }

  /**
   * Deletes the object at bucket/key if, and only if, {@code owner} wrote what is there now, and
   * aborts the multipart upload the owner recorded and never finished, if any (never another
   * writer's).
   */
  public Deletion delete(
      ObjectOwner owner,
      AwsIdentity identity,
      String region,
      String bucket,
      String key,
      Optional<String> recordedUpload) {
    recordedUpload.ifPresent(id -> store.abortUpload(identity, region, bucket, key, id));
    Optional<ObjectInfo> existing = store.head(identity, region, bucket, key, null);
    if (existing.isEmpty()) {
      return Deletion.of(Result.ABSENT);
    }
    if (!ObjectOwner.from(existing.get().metadata()).map(owner::sameAs).orElse(false)) {
      return Deletion.of(Result.NOT_OWNED);
    }
    // Learnt once per bucket; after a probe the owner is read again, so that the read the delete
    // relies on stays close to it.
    var plan =
        ExactDeletes.versioned(existing.get().versionId())
            ? ExactDeletes.DeletePlan.BY_VERSION // the version read is what goes: no probe
            : store.planDelete(identity, region, bucket, key);
    if (plan.probed()) {
      existing = store.head(identity, region, bucket, key, null);
    }
    ObjectInfo object = existing.orElse(null);
    if (object == null) {
      return new Deletion(Result.ABSENT, plan.warning());
    }
    if (!ObjectOwner.from(object.metadata()).map(owner::sameAs).orElse(false)) {
      return new Deletion(Result.NOT_OWNED, plan.warning());
    }
    var deleted =
        store.deleteExactly(identity, region, bucket, key, object.etag(), object.versionId(), plan);
    // Not deleted: replaced between the HEAD and the DELETE, so no longer ours.
    return new Deletion(deleted.deleted() ? Result.DELETED : Result.NOT_OWNED, deleted.warning());
  }

  /** Whether the resource recorded on an object still exists (unknown counts as alive). */
  private boolean isAlive(ObjectOwner owner) {
    try {
      var other =
          client
              .genericKubernetesResources("buildserver.dev/v1alpha1", owner.kind())
              .inNamespace(owner.namespace())
              .withName(owner.name())
              .get();
      return other != null && owner.uid().equals(other.getMetadata().getUid());
    } catch (KubernetesClientException | Problem e) {
      return true;
    }
  }
}
