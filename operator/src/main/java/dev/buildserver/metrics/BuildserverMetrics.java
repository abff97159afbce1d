package dev.buildserver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * The operator's domain metrics, served on {@code /prometheus} with the JVM's and JOSDK's (names as
 * Prometheus shows them): {@code buildserver_asset_bytes_uploaded_total}, {@code
 * buildserver_ledger_pages_fetched_total}, {@code buildserver_ec2_test_runs_total{result}} and
 * {@code buildserver_ec2_time_to_running_seconds}. AWS calls are counted by {@link AwsCallMetrics},
 * resources by condition by {@link ResourceGauges}. No metric has a per-object label.
 */
@Singleton
public class BuildserverMetrics {

  private final Counter bytesUploaded;
  private final Counter pagesFetched;
  private final Timer timeToRunning;
  private final Counter runsSucceeded;
  private final Counter runsFailed;

  public BuildserverMetrics(MeterRegistry registry) {
    this.bytesUploaded =
        Counter.builder("buildserver.asset.bytes.uploaded")
            .description("Bytes written to S3 (assets, reports, put-asset calls)")
            .register(registry);
    this.pagesFetched =
        Counter.builder("buildserver.ledger.pages.fetched")
            .description("Ledger pages read (answered 200)")
            .register(registry);
    this.timeToRunning =
        Timer.builder("buildserver.ec2.time.to.running")
            .description("From RunInstances to the instance seen running")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofSeconds(1))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    // Both results exist from the start, at zero, so alerts can rate them.
    this.runsSucceeded = runs(registry, "succeeded");
    this.runsFailed = runs(registry, "failed");
  }

  /** Metrics that go nowhere: for code built by hand (tests, tools). */
  public static BuildserverMetrics unregistered() {
    return new BuildserverMetrics(new SimpleMeterRegistry());
  }

  public void uploaded(long bytes) {
    bytesUploaded.increment(bytes);
  }

  public void pageFetched() {
    pagesFetched.increment();
  }

  public void timeToRunning(Duration duration) {
    timeToRunning.record(duration);
  }

  /** An Ec2TestRun reached Succeeded or Failed. */
  public void runFinished(boolean succeeded) {
    (succeeded ? runsSucceeded : runsFailed).increment();
  }

  private static Counter runs(MeterRegistry registry, String result) {
    return Counter.builder("buildserver.ec2.test.runs")
        .description("Ec2TestRuns finished, by result")
        .tag("result", result)
        .register(registry);
  }
}
