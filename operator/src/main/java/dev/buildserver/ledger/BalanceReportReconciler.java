package dev.buildserver.ledger;

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

/** Reconciles BalanceReports. */
@Singleton
@ControllerConfiguration(name = "balancereport", finalizerName = Finalizers.NAME)
public class BalanceReportReconciler implements Reconciler<BalanceReport>, Cleaner<BalanceReport> {

  static final String NOT_IMPLEMENTED = "NotImplemented";

  private final StatusRecorder status;

  public BalanceReportReconciler(StatusRecorder status) {
    this.status = status;
  }

  @Override
  public UpdateControl<BalanceReport> reconcile(
      BalanceReport resource, Context<BalanceReport> context) {
    ConditionSpec ready =
        Pause.isPaused(resource)
            ? Pause.condition()
            : ConditionSpec.notReady(
                NOT_IMPLEMENTED,
                "Balance reports are not implemented in this version of the operator yet: the resource is"
                    + " accepted and tracked, but nothing is done for it.");
    return status.record(resource, status.editable(resource, BalanceReportStatus::new), ready);
  }

  @Override
  public DeleteControl cleanup(BalanceReport resource, Context<BalanceReport> context) {
    return DeleteControl.defaultDelete();
  }
}
