package dev.buildserver.s3;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each S3 store does with {@code If-Match} on DeleteObject, learnt once per endpoint and
 * bucket and kept for the life of the process. AWS S3 (since 2025-09), SeaweedFS and moto honour
 * it; LocalStack 4.14 answers 501; MinIO accepts it and deletes anyway. Where it is not honoured, a
 * delete can only follow a read of the owner, which leaves a window: that is told once per
 * endpoint, as an Event (by the caller) and as the gauge {@code
 * buildserver_s3_conditional_deletes{endpoint,support}}.
 */
@Singleton
public class ConditionalDeletes {

  /** How a store treats a mismatching {@code If-Match} on DeleteObject. */
  public enum Support {
    /** 412 Precondition Failed: the delete happens only while the key holds what was read. */
    HONOURED,
    /** 501 Not Implemented: the header is refused (LocalStack 4.14). */
    NOT_IMPLEMENTED,
    /** The object was deleted anyway (MinIO). */
    IGNORED;

    /** How a message says it. */
    String says() {
      return switch (this) {
        case HONOURED -> "honours If-Match on DeleteObject";
        case NOT_IMPLEMENTED ->
            "does not implement If-Match on DeleteObject (it answered 501 NotImplemented)";
        case IGNORED -> "ignores If-Match on DeleteObject (it deleted despite a mismatch)";
      };
    }
  }

  private final Map<String, Support> learnt = new ConcurrentHashMap<>();
  private final Set<String> told = ConcurrentHashMap.newKeySet();
  private final MeterRegistry registry;
  private final S3Settings settings;

  @Inject
  public ConditionalDeletes(MeterRegistry registry, S3Settings settings) {
    this.registry = registry;
    this.settings = settings;
  }

  /** For code built by hand (the CLI's store, tests): the default settings, no metrics. */
  public static ConditionalDeletes unregistered() {
    return new ConditionalDeletes(new SimpleMeterRegistry(), new S3Settings());
  }

  public boolean refusesUnsafeDeletes() {
    return settings.refusesUnsafeDeletes();
  }

  /** What is known of this endpoint and bucket, if it was probed. */
  public Optional<Support> known(String endpoint, String bucket) {
    return Optional.ofNullable(learnt.get(endpoint + " " + bucket));
  }

  /**
   * Records what a probe found. Returns the warning to show, once per endpoint, the first time a
   * bucket there turns out not to honour conditional deletes.
   */
  public Optional<String> learn(String endpoint, String bucket, Support support) {
    learnt.put(endpoint + " " + bucket, support);
    if (support == Support.HONOURED || !told.add(endpoint)) {
      return Optional.empty();
    }
    Gauge.builder("buildserver.s3.conditional.deletes", () -> 1)
        .description(
            "S3 endpoints whose conditional deletes are not honoured (support=not_implemented or"
                + " ignored), by what was learnt")
        .tag("endpoint", endpoint)
        .tag("support", support.name().toLowerCase(java.util.Locale.ROOT))
        .register(registry);
    return Optional.of(
        "The S3 store at "
            + endpoint
            + " "
            + support.says()
            + ": "
            + (settings.refusesUnsafeDeletes()
                ? "owned objects there are kept when their owner goes"
                    + " (buildserver.s3.unsafe-deletes is refuse)"
                : "an owned object there is deleted right after reading its owner, so a write by"
                    + " another writer in between would be lost (buildserver.s3.unsafe-deletes:"
                    + " refuse keeps such objects instead)"));
  }
}
