package dev.buildserver.asset;

import dev.buildserver.common.ConditionSpec;
import dev.buildserver.common.Finalizers;
import dev.buildserver.common.Pause;
import dev.buildserver.common.StatusRecorder;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.inject.Singleton;

/** Reconciles BuildAssets. */
@Singleton
@ControllerConfiguration(name = "buildasset", finalizerName = Finalizers.NAME)
public class BuildAssetReconciler implements Reconciler<BuildAsset>, Cleaner<BuildAsset> {

  static final String NOT_IMPLEMENTED = "NotImplemented";

  private final StatusRecorder status;

  public BuildAssetReconciler(StatusRecorder status) {
    this.status = status;
  }

  @Override
  public UpdateControl<BuildAsset> reconcile(BuildAsset resource, Context<BuildAsset> context) {
    ConditionSpec ready =
        Pause.isPaused(resource)
            ? Pause.condition()
            : ConditionSpec.notReady(
                NOT_IMPLEMENTED,
                "Uploads to S3 are not implemented in this version of the operator yet: the resource is"
                    + " accepted and tracked, but nothing is done for it.");
    return status.record(resource, status.editable(resource, BuildAssetStatus::new), ready);
  }

  @Override
  public DeleteControl cleanup(BuildAsset resource, Context<BuildAsset> context) {
    return DeleteControl.defaultDelete();
  }
}
