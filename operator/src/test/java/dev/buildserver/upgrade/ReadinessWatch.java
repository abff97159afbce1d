package dev.buildserver.upgrade;

import static dev.buildserver.upgrade.BuildserverKinds.RUN;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads every resource through the API server every 500 ms while an operator hands over, for at
 * most {@code limit}: each resource whose health condition (Ready; Succeeded for a run) is seen
 * False, or seen neither True nor False, at any poll; and the latest poll, for the waits.
 */
final class ReadinessWatch implements AutoCloseable {

  static final Duration POLL = Duration.ofMillis(500);

  /** A resource seen not healthy: when, and what its condition said. */
  record Sighting(Instant at, String status, String reason, String message) {}

  /** One poll: its moment, and what held for every resource then. */
  record Poll(
      Instant at,
      int resources,
      boolean allObservedCurrent,
      boolean allRunsComplete,
      List<String> pending) {}

  private final BuildserverKinds kinds;
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "readiness-watch");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, Sighting> wentFalse = new ConcurrentSkipListMap<>();
  private final Map<String, Sighting> wentUnknown = new ConcurrentSkipListMap<>();
  private final AtomicReference<Poll> latest = new AtomicReference<>();
  private final AtomicInteger polls = new AtomicInteger();
  private final AtomicInteger failedPolls = new AtomicInteger();
  private final Instant until;

  private ReadinessWatch(BuildserverKinds kinds, Duration limit) {
    this.kinds = kinds;
    this.until = Instant.now().plus(limit);
  }

  /** Starts polling now; it stops on {@link #close} or after {@code limit}. */
  static ReadinessWatch start(BuildserverKinds kinds, Duration limit) {
    ReadinessWatch watch = new ReadinessWatch(kinds, limit);
    watch.poll(); // the first reading before anything happens
    watch.poller.scheduleWithFixedDelay(
        watch::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
    return watch;
  }

  private void poll() {
    Instant now = Instant.now();
    if (now.isAfter(until)) {
      poller.shutdown();
      return;
    }
    List<GenericKubernetesResource> all;
    try {
      all = kinds.all();
    } catch (RuntimeException e) {
      failedPolls.incrementAndGet(); // the API server is the witness here: count, read again
      return;
    }
    polls.incrementAndGet();
    boolean current = true;
    boolean complete = true;
    List<String> pending = new ArrayList<>();
    for (GenericKubernetesResource resource : all) {
      String id = BuildserverKinds.id(resource);
      if (resource.getMetadata().getDeletionTimestamp() != null) {
        continue; // going away on purpose
      }
      var condition =
          BuildserverKinds.condition(resource, BuildserverKinds.healthCondition(resource));
      String status = condition.map(c -> String.valueOf(c.get("status"))).orElse("absent");
      boolean finishedRun =
          RUN.equals(resource.getKind())
              && "True".equals(BuildserverKinds.conditionStatus(resource, "Complete"));
      Sighting sighting =
          new Sighting(
              now,
              status,
              condition.map(c -> String.valueOf(c.get("reason"))).orElse(""),
              condition.map(c -> String.valueOf(c.get("message"))).orElse(""));
      if ("False".equals(status)) {
        wentFalse.putIfAbsent(id, sighting);
      } else if (!"True".equals(status) && (!RUN.equals(resource.getKind()) || finishedRun)) {
        // A run in flight is Succeeded=Unknown by design; a finished one, or any other, is not.
        wentUnknown.putIfAbsent(id, sighting);
      }
      if (!BuildserverKinds.observedCurrent(resource)) {
        current = false;
        pending.add(id + " observedGeneration behind");
      }
      if (RUN.equals(resource.getKind()) && !finishedRun) {
        complete = false;
        pending.add(id + " not Complete");
      }
    }
    latest.set(
        new Poll(
            now, all.size(), current, complete, pending.subList(0, Math.min(5, pending.size()))));
  }

  /** The latest poll (never null once started). */
  Poll latest() {
    return latest.get();
  }

  Map<String, Sighting> wentFalse() {
    return Map.copyOf(wentFalse);
  }

  Map<String, Sighting> wentUnknown() {
    return Map.copyOf(wentUnknown);
  }

  int polls() {
    return polls.get();
  }

  int failedPolls() {
    return failedPolls.get();
  }

  @Override
  public void close() {
    poller.shutdownNow();
    try {
      poller.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
