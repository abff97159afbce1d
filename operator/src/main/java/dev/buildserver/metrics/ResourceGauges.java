package dev.buildserver.metrics;

import dev.buildserver.status.ResourceStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code buildserver_resources{kind,condition,status}}: how many resources of a kind are in each
 * state of its main conditions, counted from the controller's informer cache (what the operator
 * sees), with status True, False or Unknown (no such condition yet). One listing of the cache
 * serves every gauge of a scrape: counts are kept for a quarter of a second.
 */
public final class ResourceGauges {

  private static final List<String> STATUSES = List.of("True", "False", "Unknown");
  private static final Duration FRESH = Duration.ofMillis(250);

  private final Cache<? extends HasMetadata> cache;
  private final List<String> conditions;
  private final Clock clock;
  private Map<String, Long> counts = Map.of();
  private Instant countedAt = Instant.MIN;

  private ResourceGauges(Cache<? extends HasMetadata> cache, List<String> conditions, Clock clock) {
    this.cache = cache;
    this.conditions = conditions;
    this.clock = clock;
  }

  /** Registers one gauge per condition and status for this kind. */
  public static void register(
      MeterRegistry registry,
      String kind,
      Cache<? extends HasMetadata> cache,
      List<String> conditions,
      Clock clock) {
    ResourceGauges gauges = new ResourceGauges(cache, conditions, clock);
    for (String condition : conditions) {
      for (String status : STATUSES) {
        Gauge.builder("buildserver.resources", gauges, g -> g.count(condition + "=" + status))
            .description("Resources by kind and the status of their main conditions")
            .tags("kind", kind, "condition", condition, "status", status)
            .strongReference(true) // nothing else holds the counter: a weak one would read NaN
            .register(registry);
      }
    }
  }

  private synchronized long count(String conditionAndStatus) {
    Instant now = clock.instant();
    if (Duration.between(countedAt, now).compareTo(FRESH) > 0) {
      Map<String, Long> fresh = new HashMap<>();
      cache.list().forEach(resource -> tally(resource, fresh));
      counts = fresh;
      countedAt = now;
    }
    return counts.getOrDefault(conditionAndStatus, 0L);
  }

  private void tally(HasMetadata resource, Map<String, Long> into) {
    List<Condition> present =
        resource instanceof CustomResource<?, ?> custom
                && custom.getStatus() instanceof ResourceStatus status
                && status.getConditions() != null
            ? status.getConditions()
            : List.of();
    for (String condition : conditions) {
      String status =
          present.stream()
              .filter(c -> condition.equals(c.getType()))
              .map(Condition::getStatus)
              .filter(STATUSES::contains)
              .findFirst()
              .orElse("Unknown");
      into.merge(condition + "=" + status, 1L, Long::sum);
    }
  }
}
