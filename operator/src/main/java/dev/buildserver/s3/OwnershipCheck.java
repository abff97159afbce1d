package dev.buildserver.s3;

import java.util.Objects;
import java.util.Optional;

/**
 * Decides what to do about the object at a resource's bucket/key, from what S3 holds, who wrote it,
 * and what the resource last recorded. Pure: no I/O.
 */
public final class OwnershipCheck {

  /** A recorded ETag that stands for "this resource wrote the location; its ETag is unknown". */
  public static final String ANY_ETAG = "*";

  private OwnershipCheck() {}

  /** What the reconciler should do. */
  public sealed interface Decision {}

  /** The object holds the desired content and metadata: write nothing. */
  public record UpToDate(ObjectInfo object) implements Decision {}

  /** Write the object; {@code drift} says why when it was changed behind the operator's back. */
  public record Write(Optional<String> drift) implements Decision {}

  /** Leave the object alone: it is someone else's. */
  public record Conflict(String message) implements Decision {}

  /**
   * @param location the object's s3:// location, for messages
   * @param existing the object now at the location, if any
   * @param me the resource deciding
   * @param fingerprint the fingerprint of the desired content and metadata
   * @param recordedEtag the ETag this resource last recorded for the location, if any: it tells an
   *     object of this resource replaced outside from an unchanged one, and never proves ownership
   * @param otherOwnerAlive whether the resource recorded on the object (when not {@code me}) still
   *     exists
   * @param overwrite the spec's {@code overwrite}
   */
  public static Decision decide(
      String location,
      Optional<ObjectInfo> existing,
      ObjectOwner me,
      String fingerprint,
      Optional<String> recordedEtag,
      boolean otherOwnerAlive,
      boolean overwrite) {
    if (existing.isEmpty()) {
      return new Write(recordedEtag.map(e -> "the object was deleted outside the operator"));
    }
    ObjectInfo object = existing.get();
    Optional<ObjectOwner> owner = ObjectOwner.from(object.metadata());
    if (owner.isPresent() && owner.get().sameAs(me)) {
      boolean sameContent = fingerprint.equals(object.metadata().get(ObjectOwner.FINGERPRINT));
      boolean sameObject =
          recordedEtag
              .map(e -> ANY_ETAG.equals(e) || Objects.equals(e, object.etag()))
              .orElse(true);
      if (sameContent && sameObject) {
        return new UpToDate(object);
      }
      return new Write(
          sameContent
              ? Optional.of("the object was replaced outside the operator")
              : Optional.empty());
    }
    if (owner.isPresent() && otherOwnerAlive) {
      return new Conflict(
          location
              + " is managed by "
              + owner.get().describe()
              + ": two resources cannot share a bucket and key; choose another key or delete one"
              + " of them");
    }
    // What the resource's status records never counts: anyone who may patch a status could claim
    // a foreign object with it. Only the owner metadata on the object proves who wrote it.
    if (overwrite) {
      return new Write(Optional.empty());
    }
    return new Conflict(
        location
            + " already exists and was not written by this "
            + me.kind()
            + owner
                .map(o -> " (it was written by " + o.describe() + ", which no longer exists)")
                .orElse(
                    " (it carries no owner metadata: it was written, or replaced, outside the operator)")
            + ": set "
            + me.overwriteField()
            + ": true to replace it, or choose another key");
  }
}
