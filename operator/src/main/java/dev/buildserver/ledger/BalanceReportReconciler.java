package dev.buildserver.ledger;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.WorkloadIdentities;
import dev.buildserver.common.Durations;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.status.ConditionSpec;
import dev.buildserver.status.Conditions;
import dev.buildserver.status.Echo;
import dev.buildserver.status.EventRecorder;
import dev.buildserver.status.Finalizers;
import dev.buildserver.status.MainConditions;
import dev.buildserver.status.Pause;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Progress;
import dev.buildserver.status.ReconcileRequest;
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
import java.time.temporal.ChronoUnit;
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
public class BalanceReportReconciler
    implements Reconciler<BalanceReport>, Cleaner<BalanceReport>, MainConditions {

  /** Days kept in status; the full series goes to output.s3. */
  static final int STATUS_DAYS = 366;

  /** The shortest refresh interval: the CRD refuses less, and older objects get this. */
  private static final Duration MIN_REFRESH = Duration.ofSeconds(1);

  private final BalanceService balances;
  private final OwnedObjects owned;
  private final ReportPublisher publisher;
  private final StatusRecorder status;
  private final EventRecorder events;
  private final LedgerSettings settings;
  private final Clock clock;
  private final WorkloadIdentities identities;
  private final Map<String, Instant> lastRead = new ConcurrentHashMap<>();

  public BalanceReportReconciler(
      BalanceService balances,
      OwnedObjects owned,
      StatusRecorder status,
      EventRecorder events,
      LedgerSettings settings,
      Clock clock,
      WorkloadIdentities identities) {
    this.identities = identities;
    this.balances = balances;
    this.owned = owned;
    this.publisher = new ReportPublisher(owned);
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
    Optional<Duration> refresh =
        Durations.parse(report.getSpec().refreshInterval())
            .map(d -> d.compareTo(MIN_REFRESH) < 0 ? MIN_REFRESH : d);
    Progress due = untilDue(report, refresh);
    if (!(due instanceof Progress.ContinueNow)) {
      return due.schedule(UpdateControl.noUpdate()); // nothing to read yet
    }
    var spec = report.getSpec();
    try {
      ReportPublisher.checkTarget(spec); // a bad output key fails before the ledger is read
      // The output is written as the report's own identity: known before the ledger is read.
      AwsIdentity identity = identityOf(report);
      BalanceReportData data =
          balances.report(
              spec.ledger().url(),
              BearerToken.read(
                  context.getClient(),
                  report.getMetadata().getNamespace(),
                  spec.ledger().authSecretRef()),
              new BalanceCalculator.Options(
                  Boolean.TRUE.equals(spec.deduplicate()),
                  Boolean.TRUE.equals(spec.includeEmptyDays())));
      lastRead.put(report.getMetadata().getUid(), clock.instant());
      ReportFormat.Summary summary = ReportFormat.summary(data);
      ReportPublisher.Output output = publisher.publish(report, summary, identity);
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
      var control =
          status.recordProblem(report, next, problem, p -> List.of(failed(p, next)), context);
      return refresh.map(control::rescheduleAfter).orElse(control);
    }
  }

  @Override
  public ErrorStatusUpdateControl<BalanceReport> updateErrorStatus(
      BalanceReport report, Context<BalanceReport> context, Exception e) {
    BalanceReportStatus next = status.editable(report, BalanceReportStatus::new);
    return status.recordError(report, next, e, p -> List.of(failed(p, next)), context);
  }

  /**
   * The identity a report's output is written as; a report without output makes no AWS call and
   * needs none.
   */
  private AwsIdentity identityOf(BalanceReport report) {
    var output = report.getSpec().output();
    if (output == null || output.s3() == null) {
      return AwsIdentity.OPERATOR;
    }
    return identities.actingAs(
        report.getMetadata().getNamespace(), report.getSpec().serviceAccountName());
  }

  /** Deleting a report deletes the output object it wrote, and nothing else. */
  @Override
  public DeleteControl cleanup(BalanceReport report, Context<BalanceReport> context) {
    var output = report.getSpec().output();
    if (ReportPublisher.validTarget(report.getSpec())) { // else nothing was ever written there
      var s3 = output.s3();
      String location = Echo.value("s3://" + s3.bucket() + "/" + s3.key());
      if (Pause.isPaused(report)) {
        events.record(
            report, false, "Retained", "Left " + location + " in place: the report is paused");
      } else {
        try {
          var deletion =
              owned.delete(
                  ObjectOwner.of(report),
                  identityOf(report),
                  null,
                  s3.bucket(),
                  s3.key(),
                  Optional.empty());
          deletion.warning().ifPresent(w -> events.record(report, true, "UnsafeDelete", w));
          if (deletion.result() == OwnedObjects.Result.DELETED) {
            events.record(report, false, "Deleted", "Deleted " + location);
          } else if (deletion.result() == OwnedObjects.Result.NOT_OWNED) {
            events.record(
                report,
                false,
                "Retained",
                "Left "
                    + location
                    + " in place: this BalanceReport did not write what is there now");
          }
        } catch (Problem problem) {
          // A report's output is not worth a stuck deletion: say so and let go.
          events.record(
              report,
              true,
              problem.reason(),
              "Left " + location + " in place: " + problem.getMessage());
        }
      }
    }
    lastRead.remove(report.getMetadata().getUid());
    return DeleteControl.defaultDelete();
  }

  /**
   * Whether a read is due: now (continue) after a spec change, after a failure, on a reconcile
   * request ({@link ReconcileRequest}), when refreshInterval has passed, or after an operator
   * restart; later (requeue) while the refresh interval runs; never (done) for a report computed
   * once per spec change.
   */
  private Progress untilDue(BalanceReport report, Optional<Duration> refresh) {
    BalanceReportStatus current = report.getStatus();
    boolean upToDate =
        current != null
            && Objects.equals(current.getObservedGeneration(), report.getMetadata().getGeneration())
            && Conditions.find(current.getConditions(), ConditionSpec.READY)
                .map(c -> "True".equals(c.getStatus()))
                .orElse(false);
    if (!upToDate || ReconcileRequest.pending(report, current)) {
      return Progress.continueNow(); // changed, failed, or a fresh read was asked for
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

  @Override
  public List<String> mainConditions() {
    return List.of(ConditionSpec.READY);
  }
}
