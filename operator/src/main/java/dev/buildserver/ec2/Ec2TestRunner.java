package dev.buildserver.ec2;

import dev.buildserver.common.Durations;
import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.status.Progress;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The phases of one EC2 smoke test, shared by the reconciler (one phase per reconcile, the status
 * written after each, so every phase shows in status and Events) and {@code builder ec2-test}
 * (phases in a loop): {@link AcquireSlot}, {@link Launch}, {@link AwaitRunning}, {@link Verify},
 * {@link Finish}, and the total timeout over all of them.
 */
@Singleton
public class Ec2TestRunner {

  static final Duration DEFAULT_RUNNING_TIMEOUT = Duration.ofMinutes(5);
  static final Duration DEFAULT_TOTAL_TIMEOUT = Duration.ofMinutes(15);

  /** Whether a run may launch now: the reconciler bounds launches per region, the CLI does not. */
  public interface LaunchGate {
    boolean tryAcquire(String region, String uid);

    LaunchGate ALWAYS = (region, uid) -> true;
  }

  private final Instances ec2;
  private final List<String> allowedTypes;
  private final RunStep acquire;
  private final RunStep launch;
  private final RunStep awaitRunning;
  private final RunStep verify;
  private final RunStep finish;

  @Inject
  public Ec2TestRunner(InstanceLauncher launcher, Ec2Settings settings) {
    this(launcher, settings.getAllowedInstanceTypes());
  }

  /** The same phases, whose EC2 calls go through {@code ec2} (a run's own identity). */
  public Ec2TestRunner actingAs(Instances ec2) {
    return new Ec2TestRunner(ec2, allowedTypes);
  }

  Ec2TestRunner(Instances ec2) {
    this(ec2, List.of());
  }

  Ec2TestRunner(Instances ec2, List<String> allowedTypes) {
    this.ec2 = ec2;
    this.allowedTypes = List.copyOf(allowedTypes);
    this.acquire = new AcquireSlot(ec2, this.allowedTypes);
    this.launch = new Launch(ec2, this.allowedTypes);
    this.awaitRunning = new AwaitRunning(ec2);
    this.verify = new Verify(ec2);
    this.finish = new Finish(ec2);
  }

  /** Advances the run by one phase and says what comes next. */
  public Progress step(
      Ec2TestRunSpec spec,
      LaunchSpec.RunIdentity identity,
      Instant createdAt,
      Ec2TestRunStatus status,
      Instant now,
      LaunchGate gate) {
    Phase phase = status.getPhase() == null ? Phase.Pending : status.getPhase();
    if (phase == Phase.Succeeded || phase == Phase.Failed) {
      return Progress.done();
    }
    if (phase != Phase.Terminating && now.isAfter(deadline(spec, createdAt))) {
      return timedOut(spec, identity, status, phase);
    }
    RunStep.Run run = new RunStep.Run(spec, identity, createdAt, status, now, gate);
    return switch (phase) {
      case Pending -> acquire.advance(run);
      case Launching -> launch.advance(run);
      case WaitingForRunning -> awaitRunning.advance(run);
      case Verifying -> verify.advance(run);
      default -> finish.advance(run);
    };
  }

  /** Past timeouts.total: the run fails, and its instance is terminated by the next step. */
  private Progress timedOut(
      Ec2TestRunSpec spec, LaunchSpec.RunIdentity identity, Ec2TestRunStatus status, Phase phase) {
    if (phase == Phase.Launching && status.getInstanceId() == null) {
      // RunInstances may have succeeded without its answer reaching status: find the instance
      // by its owner tag, so that it is terminated with the run.
      ec2.findByOwner(spec.region(), identity.uid())
          .ifPresent(i -> status.setInstanceId(i.instanceId()));
    }
    Duration total = timeout(spec, true);
    RunStep.fail(
        status,
        new Check(
            "finished", "within " + Durations.format(total), "not finished in " + phase, false));
    return RunStep.enter(status, Phase.Terminating, "Timed out in " + phase);
  }

  /** Terminates an instance of a run (the CLI's Ctrl-C, a deleted run). */
  public void terminate(String region, String instanceId) {
    ec2.terminate(region, instanceId);
  }

  /** Deletes a run's temporary launch template; a missing one is fine. */
  public void deleteTemplate(String region, String name) {
    ec2.deleteTemplate(region, name);
  }

  /**
   * The instance a run holds: the one in status if its owner tag says it is the run's, else the
   * live one its owner tag finds, whatever phase the status claims.
   */
  public Optional<String> instanceOf(String region, String uid, Ec2TestRunStatus status) {
    if (status.getInstanceId() != null) {
      var named = ec2.describe(region, status.getInstanceId());
      if (named.isEmpty()) {
        return Optional.of(status.getInstanceId()); // one not described yet can only be its own
      }
      if (RunStep.ownedBy(named.get(), uid)) {
        return live(named.get()) ? Optional.of(status.getInstanceId()) : Optional.empty();
      }
      // status names an instance this run did not launch: never that one, but its own, if any
    }
    // Whatever the phase says (a status can be patched to Pending): the owner tag decides.
    return ec2.findByOwner(region, uid).filter(Ec2TestRunner::live).map(InstanceInfo::instanceId);
  }

  private static boolean live(InstanceInfo instance) {
    return !"terminated".equals(instance.state()) && !"shutting-down".equals(instance.state());
  }

  /** The moment a run passes its total timeout. */
  public static Instant deadline(Ec2TestRunSpec spec, Instant createdAt) {
    return createdAt.plus(timeout(spec, true));
  }

  static Duration timeout(Ec2TestRunSpec spec, boolean total) {
    var timeouts = spec.timeouts();
    String value = timeouts == null ? null : total ? timeouts.total() : timeouts.running();
    return Durations.parse(value).orElse(total ? DEFAULT_TOTAL_TIMEOUT : DEFAULT_RUNNING_TIMEOUT);
  }
}
