package dev.buildserver.ec2;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.WorkloadIdentities;
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
  private static final Duration IDENTITY_RETRY = Duration.ofMinutes(2);

  /** How long past a run's total timeout its launch slot may still count (it ends meanwhile). */
  private static final Duration GRANT_GRACE = Duration.ofMinutes(1);

  private final Ec2TestRunner runner;
  private final InstanceLauncher launcher;
  private final StatusRecorder status;
  private final Clock clock;
  private final LaunchQuota quota;
  private final Duration lookupWindow;
  private final BuildserverMetrics metrics;
  private final WorkloadIdentities identities;
  private final Map<String, Instant> cleanupStarted = new ConcurrentHashMap<>();

  public Ec2TestRunReconciler(
      Ec2TestRunner runner,
      InstanceLauncher launcher,
      StatusRecorder status,
      Clock clock,
      Ec2Settings settings,
      BuildserverMetrics metrics,
      WorkloadIdentities identities,
      LaunchQuota quota) {
    this.identities = identities;
    this.quota = quota;
    this.metrics = metrics;
    this.runner = runner;
    this.launcher = launcher;
    this.status = status;
    this.clock = clock;
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
      Optional<Duration> ttl = ttlLeft(run, next, now);
      if (ttl.isPresent() && ttl.get().isZero()) {
        context.getClient().resource(run).delete();
        return UpdateControl.noUpdate();
      }
      var control = status.record(run, next, RunConditions.of(next), context);
      return ttl.map(control::rescheduleAfter).orElse(control);
    }
    Instances ec2;
    try {
      ec2 = launcher.as(identityOf(run));
    } catch (Problem problem) {
      if (problem.retryable()) {
        throw problem;
      }
      // No usable identity: no EC2 call at all until the ServiceAccount is fixed.
      return status
          .record(run, next, retrying(next, problem), context)
          .rescheduleAfter(IDENTITY_RETRY);
    }
    Long runningAfter = next.getTimeToRunningSeconds();
    String namespace = run.getMetadata().getNamespace();
    Progress progress =
        runner
            .actingAs(ec2)
            .step(
                run.getSpec(),
                identity(run),
                created,
                next,
                now,
                (region, uid) ->
                    quota.tryAcquire(
                        ec2,
                        region,
                        namespace,
                        uid,
                        now,
                        Ec2TestRunner.deadline(run.getSpec(), created).plus(GRANT_GRACE)));
    if (runningAfter == null && next.getTimeToRunningSeconds() != null) {
      metrics.timeToRunning(Duration.ofSeconds(next.getTimeToRunningSeconds()));
    }
    if (finished(next)) {
      metrics.runFinished(next.getPhase() == Ec2TestRunStatus.Phase.Succeeded);
      quota.release(run.getSpec().region(), run.getMetadata().getUid());
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
    Ec2TestRunStatus current = run.getStatus();
    String region = run.getSpec().region();
    boolean mayHold = current != null && mayHoldInstance(current);
    Ec2TestRunner acting;
    try {
      acting = runner.actingAs(launcher.as(identityOf(run)));
    } catch (Problem problem) {
      if (!mayHold) {
        cleanupStarted.remove(uid);
        return DeleteControl.defaultDelete(); // it never launched: nothing to clean up
      }
      throw problem; // an instance may run: kept until its identity is usable again
    }
    var policy = run.getSpec().terminate();
    boolean terminates = policy == null || policy == Ec2TestRunSpec.TerminatePolicy.Always;
    if (current == null || !finished(current) || terminates) {
      // A finished run under terminate: Always has nothing left running, unless its status was
      // patched to look finished: the owner tag, not the phase, says what to terminate.
      Ec2TestRunStatus seen = current == null ? new Ec2TestRunStatus() : current;
      Optional<String> instanceId = acting.instanceOf(region, uid, seen);
      if (instanceId.isPresent()) {
        acting.terminate(region, instanceId.get());
      } else if (current != null && current.getPhase() == Phase.Launching && stillLooking(uid)) {
        // RunInstances may have succeeded moments ago, and DescribeInstances is eventually
        // consistent: look again before letting the run go.
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(LOOKUP_RETRY);
      }
    }
    cleanupStarted.remove(uid);
    var template = run.getSpec().launchTemplate();
    if (template != null && template.data() != null) {
      acting.deleteTemplate(region, LaunchSpec.temporaryTemplateName(uid));
    }
    quota.release(region, uid);
    return DeleteControl.defaultDelete();
  }

  /** The identity the run acts as, with its credentials at hand. */
  private AwsIdentity identityOf(Ec2TestRun run) {
    return identities.actingAs(
        run.getMetadata().getNamespace(), run.getSpec().serviceAccountName());
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
