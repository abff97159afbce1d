package dev.buildserver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.http.HttpMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;

/**
 * Every AWS SDK call as Prometheus series, fed by the SDK's own metric collection: {@code
 * buildserver_aws_requests_total{service,operation,outcome}} counts each HTTP attempt (so retries
 * show), with outcome success, throttled, server_error, client_error or io_error; {@code
 * buildserver_aws_retries_total{service,operation}} counts retries; {@code
 * buildserver_aws_request_seconds{service,operation}} times whole calls, retries included.
 */
@Singleton
public class AwsCallMetrics implements MetricPublisher {

  private final Meter.MeterProvider<Counter> requests;
  private final Meter.MeterProvider<Counter> retries;
  private final Meter.MeterProvider<Timer> calls;

  public AwsCallMetrics(MeterRegistry registry) {
    this.requests =
        Counter.builder("buildserver.aws.requests")
            .description("AWS API requests (HTTP attempts, retries included) by outcome")
            .withRegistry(registry);
    this.retries =
        Counter.builder("buildserver.aws.retries")
            .description("AWS API calls retried, by the SDK's retry strategy")
            .withRegistry(registry);
    this.calls =
        Timer.builder("buildserver.aws.request")
            .description("AWS API calls, from the first attempt to the last")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(5))
            .maximumExpectedValue(Duration.ofMinutes(2))
            .withRegistry(registry);
  }

  @Override
  public void publish(MetricCollection call) {
    String service = first(call.metricValues(CoreMetric.SERVICE_ID), "unknown");
    String operation = first(call.metricValues(CoreMetric.OPERATION_NAME), "unknown");
    for (MetricCollection attempt : call.children()) {
      if ("ApiCallAttempt".equals(attempt.name())) {
        requests
            .withTags("service", service, "operation", operation, "outcome", outcome(attempt))
            .increment();
      }
    }
    int retried = first(call.metricValues(CoreMetric.RETRY_COUNT), 0);
    if (retried > 0) {
      retries.withTags("service", service, "operation", operation).increment(retried);
    }
    Duration duration = first(call.metricValues(CoreMetric.API_CALL_DURATION), null);
    if (duration != null) {
      calls.withTags("service", service, "operation", operation).record(duration);
    }
  }

  /**
   * What became of one HTTP attempt. The SDK's error type says "ServerError" for any error a
   * service answered, a 404 included, so the HTTP status decides between server and client.
   */
  static String outcome(MetricCollection attempt) {
    String error = first(attempt.metricValues(CoreMetric.ERROR_TYPE), null);
    int status = first(attempt.metricValues(HttpMetric.HTTP_STATUS_CODE), 0);
    if ("Throttling".equals(error)) {
      return "throttled";
    }
    if ("ConfiguredTimeout".equals(error) || "IO".equals(error)) {
      return "io_error";
    }
    if (status >= 500) {
      return "server_error";
    }
    if (status >= 400 || error != null) {
      return "client_error";
    }
    return "success";
  }

  private static <T> T first(List<T> values, T otherwise) {
    return values.isEmpty() ? otherwise : values.get(0);
  }

  @Override
  public void close() {}
}
