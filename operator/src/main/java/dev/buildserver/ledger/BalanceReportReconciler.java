package dev.buildserver.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.buildserver.common.ConditionSpec;
import dev.buildserver.common.Conditions;
import dev.buildserver.common.Durations;
import dev.buildserver.common.EventRecorder;
import dev.buildserver.common.Finalizers;
import dev.buildserver.common.KeyReference;
import dev.buildserver.common.Pause;
import dev.buildserver.common.Problem;
import dev.buildserver.common.Progress;
import dev.buildserver.common.StatusRecorder;
import dev.buildserver.s3.Fingerprint;
import dev.buildserver.s3.ObjectContent;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.s3.OwnershipCheck;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a BalanceReport's status current: reads the ledger once per spec change (or every {@code
 * refreshInterval}), writes status only when the report changed, and puts the full report into
 * {@code output.s3}. A failed read keeps the last good report and marks it stale in {@code Ready}.
 */
@Singleton
@ControllerConfiguration(name = "balancereport", finalizerName = Finalizers.NAME)
public class BalanceReportReconciler implements Reconciler<BalanceReport>, Cleaner<BalanceReport> {

  /** Days kept in status; the full series goes to output.s3. */
  static final int STATUS_DAYS = 366;

  private final BalanceService balances;
  private final OwnedObjects owned;
  private final StatusRecorder status;
  private final EventRecorder events;
  private final LedgerSettings settings;
  private final Clock clock;
  private final Map<String, Instant> lastRead = new ConcurrentHashMap<>();

  public BalanceReportReconciler(
      BalanceService balances,
      OwnedObjects owned,
      StatusRecorder status,
      EventRecorder events,
      LedgerSettings settings,
      Clock clock) {
    this.balances = balances;
    this.owned = owned;
    this.status = status;
    this.events = events;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public UpdateControl<BalanceReport> reconcile(
      BalanceReport report, Context<BalanceReport> context) {
    BalanceReportStatus next = status.editable(report, BalanceReportStatus::new);
    if (Pause.isPaused(report)) {
      return status.record(report, next, Pause.condition(), context);
    }
    Optional<Duration> refresh = Durations.parse(report.getSpec().refreshInterval());
    Progress due = untilDue(report, refresh);
    if (!(due instanceof Progress.ContinueNow)) {
      return due.schedule(UpdateControl.noUpdate()); // nothing to read yet
    }
    var spec = report.getSpec();
    try {
      BalanceReportData data =
          balances.report(
              spec.ledger().url(),
              token(report, context),
              new BalanceCalculator.Options(
                  Boolean.TRUE.equals(spec.deduplicate()),
                  Boolean.TRUE.equals(spec.includeEmptyDays())));
      lastRead.put(report.getMetadata().getUid(), clock.instant());
      ReportFormat.Summary summary = ReportFormat.summary(data);
      Output output = writeOutput(report, summary);
      describe(next, summary, output.location());
      if (output.refusal() != null) {
        var control =
            status.record(
                report, next, ConditionSpec.notReady("Conflict", output.refusal()), context);
        return refresh.map(control::rescheduleAfter).orElse(control);
      }
      var control =
          status.record(
              report,
              next,
              ConditionSpec.ready(
                  "Synced",
                  "Read "
                      + summary.transactionCount()
                      + " transactions on "
                      + summary.pageCount()
                      + " pages: total balance "
                      + summary.totalBalance()),
              context);
      return refresh.map(control::rescheduleAfter).orElse(control);
    } catch (Problem problem) {
      if (problem.retryable()) {
        throw problem; // recorded by updateErrorStatus, retried with backoff
      }
      var control = status.record(report, next, failed(problem, next), context);
      return refresh.map(control::rescheduleAfter).orElse(control);
    }
  }

  @Override
  public ErrorStatusUpdateControl<BalanceReport> updateErrorStatus(
      BalanceReport report, Context<BalanceReport> context, Exception e) {
    BalanceReportStatus next = status.editable(report, BalanceReportStatus::new);
    // An unexpected exception is named by its type only: its message may quote a request.
    Problem problem =
        Problem.in(e)
            .orElseGet(
                () ->
                    new Problem(
                        "ReconcileError",
                        "unexpected " + e.getClass().getSimpleName() + "; see the operator log",
                        true));
    return status.recordFailure(report, next, List.of(failed(problem, next)), context);
  }

  /** Deleting a report deletes the output object it wrote, and nothing else. */
  @Override
  public DeleteControl cleanup(BalanceReport report, Context<BalanceReport> context) {
    var output = report.getSpec().output();
    if (output != null && output.s3() != null && !Pause.isPaused(report)) {
      var s3 = output.s3();
      String location = "s3://" + s3.bucket() + "/" + s3.key();
      var deletion = owned.delete(ObjectOwner.of(report), null, s3.bucket(), s3.key());
      if (deletion == OwnedObjects.Deletion.DELETED) {
        events.record(report, false, "Deleted", "Deleted " + location);
      } else if (deletion == OwnedObjects.Deletion.NOT_OWNED) {
        events.record(
            report,
            false,
            "Retained",
            "Left " + location + " in place: this BalanceReport did not write what is there now");
      }
    }
    lastRead.remove(report.getMetadata().getUid());
    return DeleteControl.defaultDelete();
  }

  /**
   * Whether a read is due: now (continue) after a spec change, after a failure, when
   * refreshInterval has passed, or after an operator restart; later (requeue) while the refresh
   * interval runs; never (done) for a report computed once per spec change.
   */
  private Progress untilDue(BalanceReport report, Optional<Duration> refresh) {
    BalanceReportStatus current = report.getStatus();
    boolean upToDate =
        current != null
            && Objects.equals(current.getObservedGeneration(), report.getMetadata().getGeneration())
            && Conditions.find(current.getConditions(), ConditionSpec.READY)
                .map(c -> "True".equals(c.getStatus()))
                .orElse(false);
    if (!upToDate) {
      return Progress.continueNow();
    }
    if (refresh.isEmpty()) {
      return Progress.done();
    }
    Instant last = lastRead.get(report.getMetadata().getUid());
    if (last == null) {
      return Progress.continueNow();
    }
    Duration left = Duration.between(clock.instant(), last.plus(refresh.get()));
    return left.isNegative() || left.isZero()
        ? Progress.continueNow()
        : Progress.requeueAfter(left);
  }

  private Optional<String> token(BalanceReport report, Context<BalanceReport> context) {
    KeyReference ref = report.getSpec().ledger().authSecretRef();
    if (ref == null) {
      return Optional.empty();
    }
    Secret secret =
        context
            .getClient()
            .secrets()
            .inNamespace(report.getMetadata().getNamespace())
            .withName(ref.name())
            .get();
    if (secret == null) {
      throw new Problem(
          "SecretNotFound",
          "Secret "
              + ref.name()
              + " does not exist in this namespace: create it, or fix ledger.authSecretRef",
          false);
    }
    String value = secret.getData() == null ? null : secret.getData().get(ref.key());
    if (value == null) {
      throw new Problem(
          "SecretNotFound",
          "Secret " + ref.name() + " has no key '" + ref.key() + "': fix ledger.authSecretRef.key",
          false);
    }
    return Optional.of(
        BearerToken.check(
            new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8), ref));
  }

  /** Where the report was written, or why it was not (an object the report may not take). */
  private record Output(String location, String refusal) {}

  /**
   * Writes the full report as JSON to output.s3 under the ownership rules of a BuildAsset: stamped
   * with the report's identity, conditional, and never over an object the report did not write
   * unless output.s3.overwrite.
   */
  private Output writeOutput(BalanceReport report, ReportFormat.Summary summary) {
    var output = report.getSpec().output();
    if (output == null || output.s3() == null) {
      return new Output(null, null);
    }
    byte[] json;
    try {
      json = Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(summary);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    var s3 = output.s3();
    String fingerprint = Fingerprint.sha256Hex(json);
    ObjectOwner owner = ObjectOwner.of(report);
    ObjectWrite write =
        new ObjectWrite(
            s3.bucket(),
            s3.key(),
            null,
            "application/json",
            owner.stamp(Map.of(), fingerprint),
            Map.of(),
            null,
            false);
    BalanceReportStatus current = report.getStatus();
    Optional<String> recorded =
        current != null && write.location().equals(current.getReportLocation())
            ? Optional.of(OwnershipCheck.ANY_ETAG)
            : Optional.empty();
    var outcome =
        owned.write(
            new OwnedObjects.Wanted(
                owner,
                write,
                new ObjectContent.Bytes(json),
                fingerprint,
                recorded,
                Boolean.TRUE.equals(s3.overwrite())));
    if (outcome instanceof OwnedObjects.Refused refused) {
      return new Output(null, refused.message());
    }
    return new Output(write.location(), null);
  }

  /** Fills the data fields; lastSyncTime moves only when the report changed. */
  private void describe(BalanceReportStatus next, ReportFormat.Summary summary, String location) {
    List<BalanceReportStatus.DailyBalance> days = summary.dailyBalances();
    List<BalanceReportStatus.DailyBalance> latest =
        days.size() > STATUS_DAYS ? days.subList(days.size() - STATUS_DAYS, days.size()) : days;
    List<BalanceReportStatus.LedgerTotal> totals =
        ReportFormat.statusTotals(summary.ledgerTotals(), settings.getStatusLedgerTotals());
    boolean changed =
        !Objects.equals(next.getTotalBalance(), summary.totalBalance())
            || !Objects.equals(next.getTransactionCount(), summary.transactionCount())
            || !Objects.equals(next.getPageCount(), summary.pageCount())
            || !Objects.equals(next.getFirstDate(), summary.firstDate())
            || !Objects.equals(next.getLastDate(), summary.lastDate())
            || !Objects.equals(next.getDailyBalances(), latest)
            || !Objects.equals(next.getLedgerTotals(), totals)
            || !Objects.equals(next.getReportLocation(), location);
    next.setTotalBalance(summary.totalBalance());
    next.setTransactionCount(summary.transactionCount());
    next.setPageCount(summary.pageCount());
    next.setFirstDate(summary.firstDate());
    next.setLastDate(summary.lastDate());
    next.setDailyBalances(List.copyOf(latest));
    next.setLedgerTotals(totals);
    next.setReportLocation(location);
    if (changed || next.getLastSyncTime() == null) {
      next.setLastSyncTime(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    }
  }

  /** A failed read: the last good report stays, and the condition says it is stale. */
  private static ConditionSpec failed(Problem problem, BalanceReportStatus kept) {
    String stale =
        kept.getLastSyncTime() == null
            ? ""
            : "; the report shown is the last good one, from " + kept.getLastSyncTime();
    return ConditionSpec.notReady(problem.reason(), problem.getMessage() + stale);
  }
}
