package dev.buildserver.upgrade;

import static dev.buildserver.upgrade.BuildserverKinds.ASSET;
import static dev.buildserver.upgrade.BuildserverKinds.REPORT;
import static dev.buildserver.upgrade.BuildserverKinds.RUN;
import static dev.buildserver.upgrade.LiveWorkload.ASSET_BUCKET;
import static dev.buildserver.upgrade.LiveWorkload.REPORT_BUCKET;

import dev.buildserver.chaos.LocalStack;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.upgrade.CloudCounts.ObjectVersion;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * One hand-over from the running operator to another release, as a user does it: snapshot, SIGTERM,
 * that release's CRDs, a few specs changed meanwhile, the other jar started; then it watches until
 * every resource is current and every run complete, and two resync periods more, and counts what
 * happened through the API server, S3 and EC2.
 */
final class Handover {

  static final String TAKEOVER = "start → every observedGeneration current (takeover)";
  static final String RUNS_COMPLETE = "start → every Ec2TestRun Complete";

  /** The figures of the hand-over and the operator now running. */
  record Result(HandoverFigures figures, BuilderProcess operator) {}

  private final LocalStack stack;
  private final LiveWorkload workload;
  private final CloudCounts cloud;
  private final Function<Release, BuilderProcess> start;
  private final String operatorKey;
  private final Duration resync;
  private final LedgerOracle ledger;

  Handover(
      LocalStack stack,
      LiveWorkload workload,
      CloudCounts cloud,
      Function<Release, BuilderProcess> start,
      String operatorKey,
      Duration resync,
      LedgerOracle ledger) {
    this.stack = stack;
    this.workload = workload;
    this.cloud = cloud;
    this.start = start;
    this.operatorKey = operatorKey;
    this.resync = resync;
    this.ledger = ledger;
  }

  Result run(String title, BuilderProcess outgoing, Release incoming, boolean upgrade)
      throws InterruptedException {
    HandoverFigures f = new HandoverFigures(title);
    BuildserverKinds kinds = workload.kinds();
    Map<String, ObjectVersion> objectsBefore = cloud.objects(ASSET_BUCKET, "assets/");
    Map<String, ObjectVersion> reportsBefore = cloud.objects(REPORT_BUCKET, "reports/");

    Set<String> edited;
    String editedReport;
    BuilderProcess next;
    List<GenericKubernetesResource> before;
    try (ReadinessWatch watch = ReadinessWatch.start(kinds, Duration.ofMinutes(12))) {
      f.put("a run mid-phase when SIGTERM was sent", awaitRunMidPhase(kinds));
      Instant stop = Instant.now();
      outgoing.process().destroy(); // SIGTERM, as Kubernetes stops a pod
      boolean exited = outgoing.process().waitFor(60, TimeUnit.SECONDS);
      f.time("outgoing operator: SIGTERM → exit", Duration.between(stop, Instant.now()));
      if (!exited) {
        outgoing.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        f.detail("the outgoing operator did not exit within 60 s of SIGTERM: killed");
      }
      stack.forgetRequests(); // from here on, every request signed with the key is the incoming's
      before = kinds.all(); // what was handed over
      snapshot(before, upgrade ? "upgrade" : "rollback");
      describeTheSwitch(f, before);
      Instant apply = Instant.now();
      incoming.applyCrds(
          stack.kubeconfig().resolveSibling("bin/kubectl"), stack.kubeconfig().toAbsolutePath());
      f.time(
          "CRDs of the incoming release applied (server-side) and Established",
          Duration.between(apply, Instant.now()));
      // What the API server alone makes of the stored objects under these CRDs: no operator runs.
      diffStatuses(
          f,
          "settled resources whose status the API server serves differently under the incoming"
              + " CRDs (no operator running)",
          "under the CRDs alone: ",
          before,
          kinds.all(),
          Set.of(),
          "");
      edited = Set.copyOf(workload.editInlineAssets(5, title));
      editedReport = workload.editReport(upgrade);
      f.put(
          "specs changed while no operator ran",
          edited.size() + " BuildAssets (inline), 1 BalanceReport (" + editedReport + ")");

      Instant started = Instant.now();
      next = start.apply(incoming);
      try {
        next.awaitReady();
      } catch (RuntimeException | Error e) {
        next.close();
        throw e;
      }
      f.time("incoming operator: start → ready", Duration.between(started, Instant.now()));
      f.time(TAKEOVER, awaitPoll(watch, started, ReadinessWatch.Poll::allObservedCurrent));
      f.time(RUNS_COMPLETE, awaitPoll(watch, started, ReadinessWatch.Poll::allRunsComplete));
      // Two resync periods more with nothing left to do: what the incoming operator does then
      // is what it does to every live resource, every period.
      Thread.sleep(resync.multipliedBy(2).plusSeconds(1).toMillis());
      f.time("observed after the switch", Duration.between(stop, Instant.now()));
      watch.close();
      f.put(
          "API server polls (every 500 ms)",
          watch.polls() + " (" + watch.failedPolls() + " failed)");
      f.zero(
          "resources seen Ready=False at any poll (runs: Succeeded=False)",
          watch.wentFalse().size());
      watch
          .wentFalse()
          .forEach(
              (id, s) ->
                  f.detail(
                      "went False: %s at %s: %s: %s"
                          .formatted(id, s.at(), s.reason(), s.message())));
      f.put("resources seen neither True nor False", watch.wentUnknown().size());
      watch
          .wentUnknown()
          .forEach(
              (id, s) ->
                  f.detail("seen %s: %s at %s: %s".formatted(s.status(), id, s.at(), s.reason())));
    }

    countWrites(f, edited, editedReport, objectsBefore, reportsBefore);
    countInstances(f);
    countLosses(f);
    diffStatuses(
        f,
        "settled resources whose status changed by the end (incoming operator or its CRDs)",
        "",
        before,
        kinds.all(),
        edited,
        editedReport);
    long errors = next.log().lines().filter(l -> l.contains("\"level\":\"ERROR\"")).count();
    long warnings = next.log().lines().filter(l -> l.contains("\"level\":\"WARN\"")).count();
    f.put("incoming operator's log: ERROR / WARN lines", errors + " / " + warnings);
    return new Result(f, next);
  }

  /**
   * Waits (at most 60 s) until a run is between Launching and Terminating, the moment a stop hurts
   * most; says which phase it was in, or that none was seen.
   */
  private static String awaitRunMidPhase(BuildserverKinds kinds) throws InterruptedException {
    Set<String> midPhase = Set.of("Launching", "WaitingForRunning", "Verifying", "Terminating");
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      for (GenericKubernetesResource run : kinds.list(RUN)) {
        Object phase = BuildserverKinds.status(run).get("phase");
        if (midPhase.contains(String.valueOf(phase))) {
          return run.getMetadata().getName() + " in " + phase;
        }
      }
      Thread.sleep(100);
    }
    return "none seen within 60 s";
  }

  private void describeTheSwitch(HandoverFigures f, List<GenericKubernetesResource> before) {
    Map<String, Long> byKind =
        before.stream()
            .collect(
                Collectors.groupingBy(
                    GenericKubernetesResource::getKind, TreeMap::new, Collectors.counting()));
    f.put("resources at the switch", before.size() + " " + byKind);
    Map<String, Long> phases =
        before.stream()
            .filter(r -> RUN.equals(r.getKind()))
            .filter(r -> !"True".equals(BuildserverKinds.conditionStatus(r, "Complete")))
            .collect(
                Collectors.groupingBy(
                    r ->
                        String.valueOf(
                            BuildserverKinds.status(r).getOrDefault("phase", "no status yet")),
                    TreeMap::new,
                    Collectors.counting()));
    f.put(
        "Ec2TestRuns in flight at the switch (not Complete)",
        phases.values().stream().mapToLong(Long::longValue).sum() + " " + phases);
    var instances = cloud.instancesByRun();
    f.put(
        "instances at the switch (EC2): launched / running",
        instances.values().stream().mapToInt(List::size).sum()
            + " / "
            + CloudCounts.live(instances));
  }

  private void countWrites(
      HandoverFigures f,
      Set<String> edited,
      String editedReport,
      Map<String, ObjectVersion> objectsBefore,
      Map<String, ObjectVersion> reportsBefore) {
    var requests = CloudCounts.requests(stack.requests(), operatorKey);
    f.put("incoming operator's AWS requests", requests.size());
    f.detail(
        "AWS requests of the incoming operator by kind: " + CloudCounts.requestsByKind(requests));
    Map<String, Integer> writes = CloudCounts.writesByKey(requests, ASSET_BUCKET);
    Map<String, ObjectVersion> objectsAfter = cloud.objects(ASSET_BUCKET, "assets/");
    long unchangedWrites = 0;
    long moved = 0;
    long editedWritten = 0;
    for (var asset : workload.assets().values()) {
      int n = writes.getOrDefault(asset.key(), 0);
      if (edited.contains(asset.name())) {
        editedWritten += n > 0 ? 1 : 0;
        continue;
      }
      unchangedWrites += n;
      if (n > 0) {
        f.detail(
            "written although its spec did not change: " + asset.name() + " (" + n + " requests)");
      }
      if (!Objects.equals(objectsBefore.get(asset.key()), objectsAfter.get(asset.key()))) {
        moved++;
        f.detail("ETag or LastModified moved: " + asset.key());
      }
    }
    f.zero(
        "PutObject/CopyObject/multipart calls for BuildAssets whose spec did not change",
        unchangedWrites);
    f.put("… of which objects whose ETag or LastModified moved", moved);
    f.put(
        "BuildAssets changed meanwhile and written (control)",
        editedWritten + " of " + edited.size());
    Map<String, Integer> reportWrites = CloudCounts.writesByKey(requests, REPORT_BUCKET);
    Map<String, ObjectVersion> reportsAfter = cloud.objects(REPORT_BUCKET, "reports/");
    long otherReports = 0;
    for (var report : workload.reports().values()) {
      if (!report.name().equals(editedReport)) {
        otherReports += reportWrites.getOrDefault(report.key(), 0);
        if (!Objects.equals(reportsBefore.get(report.key()), reportsAfter.get(report.key()))) {
          f.detail("report object rewritten although its spec did not change: " + report.key());
        }
      }
    }
    f.put("report object writes, reports whose spec did not change", otherReports);
    var changed = workload.reports().get(editedReport);
    // The sample ledger has a transaction every day: includeEmptyDays changes nothing in the
    // report, so the changed report is read again but its object need not be written.
    f.put(
        "report object writes, " + editedReport + " (changed meanwhile; same report content)",
        changed == null ? "deleted" : reportWrites.getOrDefault(changed.key(), 0));
  }

  private void countInstances(HandoverFigures f) {
    var instances = cloud.instancesByRun();
    List<String> second = CloudCounts.secondInstances(instances);
    f.zero("Ec2TestRuns with a second instance (EC2, by run-uid tag)", second.size());
    second.forEach(s -> f.detail("second instance: " + s));
    f.put(
        "instances launched in all / still running",
        instances.values().stream().mapToInt(List::size).sum()
            + " / "
            + CloudCounts.live(instances));
  }

  private void countLosses(HandoverFigures f) {
    long lost = 0;
    for (var asset : workload.assets().values()) {
      if (!cloud.holds(ASSET_BUCKET, asset.key(), asset.content())) {
        lost++;
        f.detail("lost or wrong: s3://" + ASSET_BUCKET + "/" + asset.key());
      }
    }
    for (var report : workload.reports().values()) {
      var body = cloud.read(REPORT_BUCKET, report.key());
      GenericKubernetesResource resource = workload.kinds().get(REPORT, report.name());
      String problem =
          body.isEmpty() ? "missing" : ledger.check(body.get(), BuildserverKinds.spec(resource));
      if (problem != null) {
        lost++;
        f.detail("report " + report.key() + ": " + problem);
      }
    }
    f.zero("objects lost or wrong (S3, against the sources and a ledger oracle)", lost);
  }

  /**
   * Resources settled at the switch (not changed meanwhile, runs complete): their status {@code
   * after}, counted in {@code row}, each change a detail starting with {@code what}.
   */
  private static void diffStatuses(
      HandoverFigures f,
      String row,
      String what,
      List<GenericKubernetesResource> before,
      List<GenericKubernetesResource> after,
      Set<String> edited,
      String editedReport) {
    Map<String, GenericKubernetesResource> now =
        after.stream().collect(Collectors.toMap(BuildserverKinds::id, r -> r));
    Predicate<GenericKubernetesResource> settled =
        r ->
            switch (r.getKind()) {
              case ASSET -> !edited.contains(r.getMetadata().getName());
              case REPORT -> !r.getMetadata().getName().equals(editedReport);
              default -> "True".equals(BuildserverKinds.conditionStatus(r, "Complete"));
            };
    StatusDiff diff = new StatusDiff();
    before.stream()
        .filter(settled)
        .filter(r -> now.containsKey(BuildserverKinds.id(r)))
        .forEach(
            r ->
                diff.add(
                    BuildserverKinds.id(r),
                    BuildserverKinds.status(r),
                    BuildserverKinds.status(now.get(BuildserverKinds.id(r)))));
    f.put(row, diff.resourcesChanged());
    diff.gone().forEach((path, n) -> f.detail(what + "status field gone: " + path + " on " + n));
    diff.added().forEach((path, n) -> f.detail(what + "status field added: " + path + " on " + n));
    diff.rewritten()
        .forEach((path, n) -> f.detail(what + "status field rewritten: " + path + " on " + n));
    diff.examples()
        .forEach((change, example) -> f.detail(what + "e.g. " + change + ": " + example));
  }

  /** How long after {@code started} a poll first showed {@code holds}; null after 5 minutes. */
  private static Duration awaitPoll(
      ReadinessWatch watch, Instant started, Predicate<ReadinessWatch.Poll> holds)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
    while (Instant.now().isBefore(deadline)) {
      ReadinessWatch.Poll poll = watch.latest();
      if (poll != null && poll.at().isAfter(started) && holds.test(poll)) {
        return Duration.between(started, poll.at());
      }
      Thread.sleep(100);
    }
    return null;
  }

  /** The objects as they were at the switch, for a post-mortem: target/upgrade/snapshot-*.json. */
  private static void snapshot(List<GenericKubernetesResource> resources, String name) {
    try {
      Path file = Path.of("target", "upgrade", "snapshot-" + name + ".json");
      Files.createDirectories(file.getParent());
      Files.writeString(file, Serialization.asJson(resources));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
