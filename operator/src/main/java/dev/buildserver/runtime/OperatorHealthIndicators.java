package dev.buildserver.runtime;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Liveness;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;

/** Health of the hosted operator for {@code /health/liveness} and {@code /health/readiness}. */
public final class OperatorHealthIndicators {

  private OperatorHealthIndicators() {}

  /**
   * Live unless the operator failed to start or lost its leadership: a restart is the cure then.
   */
  @Singleton
  @Liveness
  public static class OperatorLiveness implements HealthIndicator {
    private final OperatorRuntime runtime;

    public OperatorLiveness(OperatorRuntime runtime) {
      this.runtime = runtime;
    }

    @Override
    public Publisher<HealthResult> getResult() {
      OperatorRuntime.State state = runtime.state();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("state", state.name());
      runtime.failure().ifPresent(f -> details.put("failure", f));
      HealthStatus status =
          state == OperatorRuntime.State.FAILED || state == OperatorRuntime.State.LOST_LEADERSHIP
              ? HealthStatus.DOWN
              : HealthStatus.UP;
      return Publishers.just(HealthResult.builder("operator", status).details(details).build());
    }
  }

  /** Ready once the operator runs, its informers have synced and every event source is healthy. */
  @Singleton
  @Readiness
  public static class OperatorReadiness implements HealthIndicator {
    private final OperatorRuntime runtime;

    public OperatorReadiness(OperatorRuntime runtime) {
      this.runtime = runtime;
    }

    @Override
    public Publisher<HealthResult> getResult() {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("state", runtime.state().name());
      boolean started = runtime.runtimeInfo().map(i -> i.isStarted()).orElse(false);
      boolean healthy = runtime.runtimeInfo().map(i -> i.allEventSourcesAreHealthy()).orElse(false);
      details.put("started", started);
      details.put("eventSourcesHealthy", healthy);
      if (started && !healthy) {
        details.put("unhealthyEventSources", runtime.unhealthyEventSources().keySet());
      }
      boolean ready = runtime.state() == OperatorRuntime.State.RUNNING && started && healthy;
      return Publishers.just(
          HealthResult.builder("operator", ready ? HealthStatus.UP : HealthStatus.DOWN)
              .details(details)
              .build());
    }
  }
}
