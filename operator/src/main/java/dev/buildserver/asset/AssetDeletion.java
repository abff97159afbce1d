package dev.buildserver.asset;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.status.ConditionSpec;
import dev.buildserver.status.EventRecorder;
import dev.buildserver.status.Pause;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.StatusRecorder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * What deleting a BuildAsset does to its object, for {@link BuildAssetReconciler#cleanup}: nothing
 * under {@code deletionPolicy: Retain} or while paused; else the object goes if, and only if, this
 * BuildAsset wrote what is there now. A transient problem is retried; an object the store cannot
 * delete safely (unsafe deletes refused, certificate untrusted) is kept and the BuildAsset waits,
 * saying why; any other problem leaves the object in place and lets the BuildAsset go.
 */
final class AssetDeletion {

  /**
   * How often a BuildAsset whose object is kept (unsafe deletes refused, certificate untrusted)
   * looks again.
   */
  static final Duration RECHECK = Duration.ofMinutes(1);

  private final OwnedObjects owned;
  private final StatusRecorder status;
  private final EventRecorder events;

  AssetDeletion(OwnedObjects owned, StatusRecorder status, EventRecorder events) {
    this.owned = owned;
    this.status = status;
    this.events = events;
  }

  DeleteControl cleanup(
      BuildAsset asset, Function<BuildAsset, AwsIdentity> identityOf, Context<BuildAsset> context) {
    var spec = asset.getSpec();
    if (spec.deletionPolicy() == BuildAssetSpec.DeletionPolicy.Retain) {
      return DeleteControl.defaultDelete();
    }
    String location = ObjectStore.location(spec.bucket(), spec.key());
    if (Pause.isPaused(asset)) {
      events.record(
          asset, false, "Retained", "Left " + location + " in place: the BuildAsset is paused");
      return DeleteControl.defaultDelete();
    }
    try {
      // The store defaults a missing region.
      Optional<String> upload =
          Optional.ofNullable(asset.getStatus()).map(BuildAssetStatus::getUploadId);
      var deletion =
          owned.delete(
              ObjectOwner.of(asset),
              identityOf.apply(asset),
              spec.region(),
              spec.bucket(),
              spec.key(),
              upload);
      deletion.warning().ifPresent(w -> events.record(asset, true, "UnsafeDelete", w));
      switch (deletion.result()) {
        case DELETED -> events.record(asset, false, "Deleted", "Deleted " + location);
        case NOT_OWNED ->
            events.record(
                asset,
                false,
                "Retained",
                "Left " + location + " in place: this BuildAsset did not write what is there now");
        case ABSENT -> {
          // nothing to delete
        }
      }
    } catch (Problem problem) {
      if (problem.retryable()) {
        events.record(
            asset,
            true,
            problem.reason(),
            "Cannot delete " + location + " yet: " + problem.getMessage());
        throw problem; // retried with backoff; set deletionPolicy: Retain to give up
      }
      if (problem.kind() == Reason.UnsafeDeleteRefused
          || problem.kind() == Reason.UntrustedCertificate) {
        // The object is kept and the BuildAsset waits, saying why, until the user deletes the
        // object, fixes the CA bundle, or lets it go with deletionPolicy: Retain.
        status.record(
            asset,
            status.editable(asset, BuildAssetStatus::new),
            ConditionSpec.notReady(
                problem.reason(),
                problem.getMessage() + ", or set spec.deletionPolicy: Retain to keep it"),
            context);
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK);
      }
      events.record(
          asset, true, problem.reason(), "Left " + location + " in place: " + problem.getMessage());
    }
    return DeleteControl.defaultDelete();
  }
}
