package dev.buildserver.ec2;

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

/** Reconciles Ec2TestRuns. */
@Singleton
@ControllerConfiguration(name = "ec2testrun", finalizerName = Finalizers.NAME)
public class Ec2TestRunReconciler implements Reconciler<Ec2TestRun>, Cleaner<Ec2TestRun> {

  static final String NOT_IMPLEMENTED = "NotImplemented";

  private final StatusRecorder status;

  public Ec2TestRunReconciler(StatusRecorder status) {
    this.status = status;
  }

  @Override
  public UpdateControl<Ec2TestRun> reconcile(Ec2TestRun resource, Context<Ec2TestRun> context) {
    ConditionSpec ready =
        Pause.isPaused(resource)
            ? Pause.condition()
            : ConditionSpec.notReady(
                NOT_IMPLEMENTED,
                "EC2 test runs are not implemented in this version of the operator yet: the resource is"
                    + " accepted and tracked, but nothing is done for it.");
    return status.record(resource, status.editable(resource, Ec2TestRunStatus::new), ready);
  }

  @Override
  public DeleteControl cleanup(Ec2TestRun resource, Context<Ec2TestRun> context) {
    return DeleteControl.defaultDelete();
  }
}
