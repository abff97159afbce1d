package dev.buildserver.ec2;

import dev.buildserver.common.Durations;
import dev.buildserver.common.Problem;
import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The phases of one EC2 smoke test, shared by the reconciler (one phase per reconcile, the status
 * written after each, so every phase shows in status and Events) and {@code builder ec2-test}
 * (phases in a loop). A step never sleeps: it returns how long to wait before the next one.
 */
@Singleton
public class Ec2TestRunner {

  static final Duration DEFAULT_RUNNING_TIMEOUT = Duration.ofMinutes(5);
  static final Duration DEFAULT_TOTAL_TIMEOUT = Duration.ofMinutes(15);
  private static final Duration FIRST_POLL = Duration.ofSeconds(2);
  private static final Duration LONGEST_POLL = Duration.ofSeconds(30);
  private static final Duration INVISIBLE_FOR = Duration.ofSeconds(60);

  /** Whether a run may launch now: the reconciler bounds launches per region, the CLI does not. */
  public interface LaunchGate {
    boolean tryAcquire(String region, String uid);

    LaunchGate ALWAYS = (region, uid) -> true;
  }

  private final InstanceLauncher launcher;

  public Ec2TestRunner(InstanceLauncher launcher) {
    this.launcher = launcher;
  }

  /**
   * Advances the run by one phase; returns the wait before the next step (zero: go on at once,
   * after the status is recorded), or empty when the run is finished.
   */
  public Optional<Duration> step(
      Ec2TestRunSpec spec,
      LaunchSpec.RunIdentity run,
      Instant createdAt,
      Ec2TestRunStatus status,
      Instant now,
      LaunchGate gate) {
    Phase phase = status.getPhase() == null ? Phase.Pending : status.getPhase();
    if (phase == Phase.Succeeded || phase == Phase.Failed) {
      return Optional.empty();
    }
    Duration total = timeout(spec, true);
    if (phase != Phase.Terminating && now.isAfter(createdAt.plus(total))) {
      if (phase == Phase.Launching && status.getInstanceId() == null) {
        // RunInstances may have succeeded without its answer reaching status: find the instance
        // by its owner tag, so that it is terminated with the run.
        launcher
            .findByOwner(spec.region(), run.uid())
            .ifPresent(i -> status.setInstanceId(i.instanceId()));
      }
      fail(
          status,
          new Check(
              "finished", "within " + Durations.format(total), "not finished in " + phase, false));
      return enter(status, Phase.Terminating, "Timed out in " + phase);
    }
    switch (phase) {
      case Pending:
        if (!gate.tryAcquire(spec.region(), run.uid())) {
          status.setPhase(Phase.Pending);
          status.setMessage(
              "Waiting for a launch slot: too many runs are active in " + spec.region());
          return Optional.of(Duration.ofSeconds(5));
        }
        return enter(status, Phase.Launching, "Launching an instance in " + spec.region());
      case Launching:
        return launch(spec, run, status, now);
      case WaitingForRunning:
        return awaitRunning(spec, status, now);
      case Verifying:
        verify(spec, status);
        return enter(
            status, Phase.Terminating, "Checked " + status.getChecks().size() + " expectations");
      default:
        finish(spec, run, status, now);
        return Optional.empty();
    }
  }

  private static Optional<Duration> enter(Ec2TestRunStatus status, Phase phase, String message) {
    status.setPhase(phase);
    status.setMessage(message);
    return Optional.of(Duration.ZERO);
  }

  /** Terminates an instance of a run (the CLI's Ctrl-C). */
  public void terminate(String region, String instanceId) {
    launcher.terminate(region, instanceId);
  }

  /**
   * The instance a run holds: the one in status, else (once the run may have launched) the one its
   * owner tag finds.
   */
  public Optional<String> instanceOf(String region, String uid, Ec2TestRunStatus status) {
    if (status.getInstanceId() != null) {
      return Optional.of(status.getInstanceId());
    }
    Phase phase = status.getPhase();
    if (phase == null || phase == Phase.Pending) {
      return Optional.empty();
    }
    return launcher.findByOwner(region, uid).map(InstanceInfo::instanceId);
  }

  /** The moment a run passes its total timeout. */
  public static Instant deadline(Ec2TestRunSpec spec, Instant createdAt) {
    return createdAt.plus(timeout(spec, true));
  }

  /** Launches (or adopts the instance an earlier attempt launched) and records its id. */
  private Optional<Duration> launch(
      Ec2TestRunSpec spec, LaunchSpec.RunIdentity run, Ec2TestRunStatus status, Instant now) {
    LaunchSpec launch = LaunchSpec.of(spec, run);
    Optional<InstanceInfo> earlier = launcher.findByOwner(spec.region(), run.uid());
    String instanceId;
    if (earlier.isPresent()) {
      instanceId = earlier.get().instanceId(); // a crash after RunInstances: never launch twice
    } else {
      try {
        String templateId =
            launch.templateData() == null
                ? launch.templateId()
                : launcher.ensureTemplate(
                    spec.region(),
                    LaunchSpec.temporaryTemplateName(run.uid()),
                    launch.templateData());
        instanceId = launcher.launch(launch, templateId, run.uid());
      } catch (Problem p) {
        if (p.retryable()) {
          throw p;
        }
        fail(status, new Check("launch", "an instance", p.getMessage(), false));
        return enter(status, Phase.Terminating, p.getMessage());
      }
    }
    status.setInstanceId(instanceId);
    status.setLaunchedAt(timestamp(earlier.map(InstanceInfo::launchTime).orElse(now)));
    // Recorded in status before anything else happens to the instance.
    return enter(status, Phase.WaitingForRunning, "Launched " + instanceId);
  }

  private Optional<Duration> awaitRunning(
      Ec2TestRunSpec spec, Ec2TestRunStatus status, Instant now) {
    Instant launchedAt = Instant.parse(status.getLaunchedAt());
    Duration waited = Duration.between(launchedAt, now);
    Optional<InstanceInfo> instance = launcher.describe(spec.region(), status.getInstanceId());
    if (instance.isEmpty()) {
      if (waited.compareTo(INVISIBLE_FOR) > 0) {
        fail(status, new Check("state", "running", "instance not found", false));
        return enter(status, Phase.Terminating, status.getInstanceId() + " was not found");
      }
      return Optional.of(FIRST_POLL);
    }
    InstanceInfo info = instance.get();
    status.setAvailabilityZone(info.availabilityZone());
    status.setInstanceType(info.instanceType());
    if ("running".equals(info.state())) {
      status.setRunningAt(timestamp(now));
      status.setTimeToRunningSeconds(Math.max(0, waited.toSeconds()));
      return enter(status, Phase.Verifying, info.instanceId() + " is running");
    }
    Duration limit = timeout(spec, false);
    if (!"pending".equals(info.state()) || waited.compareTo(limit) > 0) {
      String actual =
          "pending".equals(info.state())
              ? "pending after " + Durations.format(limit)
              : info.state();
      fail(status, new Check("state", "running within " + Durations.format(limit), actual, false));
      return enter(
          status, Phase.Terminating, info.instanceId() + " did not reach running: " + actual);
    }
    status.setPhase(Phase.WaitingForRunning);
    status.setMessage("Waiting for " + info.instanceId() + " to run (" + info.state() + ")");
    Duration poll = waited.dividedBy(4);
    return Optional.of(
        poll.compareTo(FIRST_POLL) < 0
            ? FIRST_POLL
            : poll.compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : poll);
  }

  private void verify(Ec2TestRunSpec spec, Ec2TestRunStatus status) {
    Optional<InstanceInfo> info = launcher.describe(spec.region(), status.getInstanceId());
    if (info.isEmpty()) {
      // Not found after it ran: a failed check, and the instance is still terminated.
      fail(status, new Check("state", "running", "instance not found", false));
      return;
    }
    List<Check> checks = new ArrayList<>(status.getChecks());
    checks.addAll(ExpectationCheck.check(spec.region(), spec.expect(), info.get()));
    status.setChecks(checks);
  }

  /** Terminates as the spec asks, removes a temporary template, and records the outcome. */
  private void finish(
      Ec2TestRunSpec spec, LaunchSpec.RunIdentity run, Ec2TestRunStatus status, Instant now) {
    status.setPhase(Phase.Terminating);
    boolean passed = passed(status);
    var policy =
        spec.terminate() == null ? Ec2TestRunSpec.TerminatePolicy.Always : spec.terminate();
    boolean terminate =
        policy == Ec2TestRunSpec.TerminatePolicy.Always
            || (policy == Ec2TestRunSpec.TerminatePolicy.OnSuccess && passed);
    String kept = "";
    if (status.getInstanceId() != null) {
      if (terminate) {
        launcher.terminate(spec.region(), status.getInstanceId());
      } else {
        kept = "; " + status.getInstanceId() + " was kept running (terminate: " + policy + ")";
      }
    }
    if (spec.launchTemplate() != null && spec.launchTemplate().data() != null) {
      launcher.deleteTemplate(spec.region(), LaunchSpec.temporaryTemplateName(run.uid()));
    }
    status.setPhase(passed ? Phase.Succeeded : Phase.Failed);
    status.setFinishedAt(timestamp(now));
    long failed = status.getChecks().stream().filter(c -> !c.passed()).count();
    status.setMessage(
        (passed
                ? "All " + status.getChecks().size() + " checks passed"
                : failed
                    + " of "
                    + status.getChecks().size()
                    + " checks failed: "
                    + firstFailure(status))
            + kept);
  }

  static boolean passed(Ec2TestRunStatus status) {
    return !status.getChecks().isEmpty() && status.getChecks().stream().allMatch(Check::passed);
  }

  static String firstFailure(Ec2TestRunStatus status) {
    return status.getChecks().stream()
        .filter(c -> !c.passed())
        .findFirst()
        .map(c -> c.name() + " expected " + c.expected() + ", got " + c.actual())
        .orElse("");
  }

  private static void fail(Ec2TestRunStatus status, Check check) {
    List<Check> checks = new ArrayList<>(status.getChecks());
    checks.add(check);
    status.setChecks(checks);
  }

  static Duration timeout(Ec2TestRunSpec spec, boolean total) {
    var timeouts = spec.timeouts();
    String value = timeouts == null ? null : total ? timeouts.total() : timeouts.running();
    return Durations.parse(value).orElse(total ? DEFAULT_TOTAL_TIMEOUT : DEFAULT_RUNNING_TIMEOUT);
  }

  private static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
