package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.status.ConditionSpec;
import dev.buildserver.status.Finalizers;
import dev.buildserver.status.MainConditions;
import dev.buildserver.status.Pause;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Progress;
import dev.buildserver.status.StatusRecorder;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each Ec2TestRun once: one step of {@link Ec2TestRunner} per reconcile, the status written
 * after every step (so the instance id is recorded before anything else), and the instance
 * terminated when the resource is deleted mid-run. Finished runs with ttlSecondsAfterFinished
 * delete themselves.
 */
@Singleton
@ControllerConfiguration(name = "ec2testrun", finalizerName = Finalizers.NAME)
public class Ec2TestRunReconciler
    implements Reconciler<Ec2TestRun>, Cleaner<Ec2TestRun>, MainConditions {

  private static final Logger LOG = LoggerFactory.getLogger(Ec2TestRunReconciler.class);
  private static final Duration LOOKUP_RETRY = Duration.ofSeconds(2);

  private final Ec2TestRunner runner;
  private final InstanceLauncher launcher;
  private final StatusRecorder status;
  private final Clock clock;
  private final LaunchSlots slots;
  private final Duration lookupWindow;
  private final BuildserverMetrics metrics;
  private final Map<String, Instant> cleanupStarted = new ConcurrentHashMap<>();

  public Ec2TestRunReconciler(
      Ec2TestRunner runner,
      InstanceLauncher launcher,
      StatusRecorder status,
      Clock clock,
      Ec2Settings settings,
      BuildserverMetrics metrics) {
    this.metrics = metrics;
    this.runner = runner;
    this.launcher = launcher;
    this.status = status;
    this.clock = clock;
    this.slots = new LaunchSlots(settings.getMaxActiveRunsPerRegion());
    this.lookupWindow = settings.getCleanupLookupWindow();
  }

  @Override
  public UpdateControl<Ec2TestRun> reconcile(Ec2TestRun run, Context<Ec2TestRun> context) {
    Ec2TestRunStatus next = status.editable(run, Ec2TestRunStatus::new);
    Instant now = clock.instant();
    Instant created = Instant.parse(run.getMetadata().getCreationTimestamp());
    if (Pause.isPaused(run)) {
      Instant deadline = Ec2TestRunner.deadline(run.getSpec(), created);
      if (!mayHoldInstance(next) || !now.isAfter(deadline)) {
        var control =
            status.record(run, next, List.of(Pause.condition(RunConditions.COMPLETE)), context);
        // Paused or not, an instance is not left running past the total timeout.
        return mayHoldInstance(next)
            ? control.rescheduleAfter(Duration.between(now, deadline).plusSeconds(1))
            : control;
      }
      LOG.info(
          "{}/{} is paused but past its total timeout: terminating its instance",
          run.getMetadata().getNamespace(),
          run.getMetadata().getName());
    }
    if (finished(next)) {
      slots.release(run.getMetadata().getUid());
      Optional<Duration> ttl = ttlLeft(run, next, now);
      if (ttl.isPresent() && ttl.get().isZero()) {
        context.getClient().resource(run).delete();
        return UpdateControl.noUpdate();
      }
      var control = status.record(run, next, RunConditions.of(next), context);
      return ttl.map(control::rescheduleAfter).orElse(control);
    }
    Long runningAfter = next.getTimeToRunningSeconds();
    Progress progress =
        runner.step(
            run.getSpec(),
            identity(run),
            created,
            next,
            now,
            (region, uid) ->
                slots.tryAcquire(region, uid, context.getPrimaryCache().list().toList(), now));
    if (runningAfter == null && next.getTimeToRunningSeconds() != null) {
      metrics.timeToRunning(Duration.ofSeconds(next.getTimeToRunningSeconds()));
    }
    if (finished(next)) {
      metrics.runFinished(next.getPhase() == Ec2TestRunStatus.Phase.Succeeded);
      slots.release(run.getMetadata().getUid());
      progress =
          ttlLeft(run, next, now)
              .map(d -> Progress.requeueAfter(d.isZero() ? Duration.ofSeconds(1) : d))
              .orElse(Progress.done());
    }
    return progress.schedule(status.record(run, next, RunConditions.of(next), context));
  }

  /** Throttling and outages are reported (the run goes on) and retried with backoff. */
  @Override
  public ErrorStatusUpdateControl<Ec2TestRun> updateErrorStatus(
      Ec2TestRun run, Context<Ec2TestRun> context, Exception e) {
    Ec2TestRunStatus next = status.editable(run, Ec2TestRunStatus::new);
    return status.recordError(run, next, e, problem -> retrying(next, problem), context);
  }

  /** The run's conditions, Complete saying what is being retried. */
  private static List<ConditionSpec> retrying(Ec2TestRunStatus next, Problem problem) {
    List<ConditionSpec> conditions = new ArrayList<>(RunConditions.of(next));
    conditions.set(
        0,
        new ConditionSpec(
            RunConditions.COMPLETE,
            ConditionSpec.Status.False,
            problem.reason(),
            problem.retryable() ? problem.getMessage() + "; retrying" : problem.getMessage(),
            true));
    return conditions;
  }

  /**
   * Deleted mid-run: the instance is terminated; a finished run's instance stays as its policy
   * said.
   */
  @Override
  public DeleteControl cleanup(Ec2TestRun run, Context<Ec2TestRun> context) {
    String uid = run.getMetadata().getUid();
    slots.release(uid);
    Ec2TestRunStatus current = run.getStatus();
    String region = run.getSpec().region();
    if (current != null && !finished(current)) {
      Optional<String> instanceId = runner.instanceOf(region, uid, current);
      if (instanceId.isPresent()) {
        launcher.terminate(region, instanceId.get());
      } else if (current.getPhase() == Phase.Launching && stillLooking(uid)) {
        // RunInstances may have succeeded moments ago, and DescribeInstances is eventually
        // consistent: look again before letting the run go.
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(LOOKUP_RETRY);
      }
    }
    cleanupStarted.remove(uid);
    var template = run.getSpec().launchTemplate();
    if (template != null && template.data() != null) {
      launcher.deleteTemplate(region, LaunchSpec.temporaryTemplateName(uid));
    }
    return DeleteControl.defaultDelete();
  }

  /** Whether the owner-tag lookup of a deleted run is still within its window of retries. */
  private boolean stillLooking(String uid) {
    Instant started = cleanupStarted.computeIfAbsent(uid, u -> clock.instant());
    boolean within = clock.instant().isBefore(started.plus(lookupWindow));
    if (!within) {
      LOG.warn("No instance found by owner tag {} within {}; releasing the run", uid, lookupWindow);
    }
    return within;
  }

  /** Whether the run may have launched an instance that it has not terminated yet. */
  private static boolean mayHoldInstance(Ec2TestRunStatus s) {
    return s.getPhase() != null && s.getPhase() != Phase.Pending && !finished(s);
  }

  private static boolean finished(Ec2TestRunStatus s) {
    return s.getPhase() == Phase.Succeeded || s.getPhase() == Phase.Failed;
  }

  /** Time left until a finished run deletes itself (zero: now), or empty without a TTL. */
  private static Optional<Duration> ttlLeft(Ec2TestRun run, Ec2TestRunStatus s, Instant now) {
    Long ttl = run.getSpec().ttlSecondsAfterFinished();
    if (ttl == null || s.getFinishedAt() == null) {
      return Optional.empty();
    }
    Duration left = Duration.between(now, Instant.parse(s.getFinishedAt()).plusSeconds(ttl));
    return Optional.of(left.isNegative() ? Duration.ZERO : left);
  }

  private static LaunchSpec.RunIdentity identity(Ec2TestRun run) {
    var meta = run.getMetadata();
    return new LaunchSpec.RunIdentity(meta.getUid(), meta.getNamespace(), meta.getName());
  }

  @Override
  public List<String> mainConditions() {
    return List.of(RunConditions.COMPLETE, RunConditions.SUCCEEDED);
  }
}
