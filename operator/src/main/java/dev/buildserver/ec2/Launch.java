package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Progress;
import dev.buildserver.status.Reason;
import java.util.List;
import java.util.Optional;

/**
 * Launching: adopts the instance an earlier attempt launched (found by its owner tag), or launches
 * one, and records its id before anything else happens to it.
 */
final class Launch implements RunStep {

  private final Instances ec2;
  private final List<String> allowedTypes;

  Launch(Instances ec2) {
    this(ec2, List.of());
  }

  Launch(Instances ec2, List<String> allowedTypes) {
    this.ec2 = ec2;
    this.allowedTypes = allowedTypes;
  }

  @Override
  public Progress advance(Run run) {
    Ec2TestRunSpec spec = run.spec();
    Ec2TestRunStatus status = run.status();
    Optional<InstanceInfo> earlier;
    try {
      earlier = ec2.findByOwner(spec.region(), run.identity().uid());
    } catch (Problem p) {
      if (p.kind() != Reason.InvalidRegion) {
        throw p; // an instance launched before a crash may exist: never give up on finding it
      }
      // No call can reach an unknown region, so nothing was launched there: the run ends here.
      RunStep.fail(status, new Check("launch", "an instance", p.getMessage(), false));
      return RunStep.enter(status, Phase.Terminating, p.getMessage());
    }
    String instanceId;
    try {
      if (earlier.isPresent()) {
        instanceId = earlier.get().instanceId(); // a crash after RunInstances: never launch twice
      } else {
        LaunchSpec launch = LaunchSpec.of(spec, run.identity());
        // Checked again here, not only while Pending: a status patched to Launching skips that
        // step. The type is pinned, so that a template changed since cannot switch it.
        if (!allowedTypes.isEmpty()) {
          TypeCheck types = TypeCheck.of(ec2, allowedTypes, launch);
          if (types.refusal() != null) {
            RunStep.fail(status, new Check("launch", "an instance", types.refusal(), false));
            return RunStep.enter(status, Phase.Terminating, types.refusal());
          }
          launch = launch.withInstanceType(types.type());
        }
        if (!run.gate().tryAcquire(spec.region(), run.identity().uid())) {
          status.setPhase(Phase.Pending);
          status.setMessage("Waiting for a launch slot before launching");
          return Progress.requeueAfter(AcquireSlot.RETRY);
        }
        String templateId =
            launch.templateData() == null
                ? launch.templateId()
                : ec2.ensureTemplate(
                    spec.region(),
                    LaunchSpec.temporaryTemplateName(run.identity().uid()),
                    launch.templateData());
        instanceId = ec2.launch(launch, templateId, run.identity().uid());
      }
    } catch (Problem p) {
      if (p.retryable()) {
        throw p;
      }
      // Nothing was launched (a missing template, a refused launch): the run ends here.
      RunStep.fail(status, new Check("launch", "an instance", p.getMessage(), false));
      return RunStep.enter(status, Phase.Terminating, p.getMessage());
    }
    status.setInstanceId(instanceId);
    status.setLaunchedAt(
        RunStep.timestamp(earlier.map(InstanceInfo::launchTime).orElse(run.now())));
    return RunStep.enter(status, Phase.WaitingForRunning, "Launched " + instanceId);
  }
}
