package dev.buildserver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.Main.CliException;
import dev.buildserver.common.Durations;
import dev.buildserver.ec2.Ec2TestRunSpec;
import dev.buildserver.ec2.Ec2TestRunStatus;
import dev.buildserver.ec2.Ec2TestRunner;
import dev.buildserver.ec2.LaunchSpec;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Progress;
import dev.buildserver.status.Setting;
import io.micronaut.context.BeanProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code builder ec2-test}: the Ec2TestRun checks, once, from a terminal. Exits 0 only when every
 * check passed; the instance is terminated unless {@code --keep-instance} (also on Ctrl-C).
 */
@Command(
    name = "ec2-test",
    mixinStandardHelpOptions = true,
    description =
        "Launch an EC2 instance, wait for running, check it, terminate it; exit 0 only if every check passed.")
public class Ec2TestCommand implements Callable<Integer> {

  private static final int ATTEMPTS = 5;
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);

  @Option(names = "--region", required = true, description = "AWS region.")
  String region;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static class Source {
    @Option(names = "--launch-template", description = "Launch template NAME[:VERSION].")
    String launchTemplate;

    @ArgGroup(exclusive = false)
    Image image;
  }

  static class Image {
    @Option(names = "--image-id", required = true, description = "AMI to launch.")
    String imageId;

    @Option(
        names = "--instance-type",
        required = true,
        description = "Instance type, e.g. t2.micro.")
    String instanceType;
  }

  @Option(names = "--tag", description = "Tag K=V applied at launch (repeatable).")
  Map<String, String> tags = new LinkedHashMap<>();

  @Option(names = "--expect-instance-type", description = "Expected instance type.")
  String expectInstanceType;

  @Option(names = "--expect-tag", description = "Expected tag K=V (repeatable).")
  Map<String, String> expectTags = new LinkedHashMap<>();

  @Option(names = "--expect-availability-zone", description = "Expected availability zone.")
  String expectZone;

  @Option(
      names = "--timeout",
      defaultValue = "5m",
      description = "How long the instance may take to run (default 5m).")
  String timeout;

  @Option(names = "--keep-instance", description = "Do not terminate the instance.")
  boolean keepInstance;

  @Option(
      names = "--output",
      defaultValue = "table",
      description = "table or json (default table).")
  String output;

  @Option(
      names = "--junit",
      paramLabel = "FILE",
      description = "Also write the checks as JUnit XML to FILE, for CI servers.")
  Path junit;

  @Inject BeanProvider<Ec2TestRunner> runner;
  @Inject ObjectMapper json;
  @Inject Clock clock;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (!output.equals("table") && !output.equals("json")) {
      throw new CliException("--output must be table or json, not '" + Echo.value(output) + "'", 2);
    }
    Duration running;
    try {
      running = Durations.parse(timeout).orElseThrow();
    } catch (RuntimeException e) {
      throw new CliException(
          "--timeout '" + Echo.value(timeout) + "' is not a duration like 90s or 5m", 2);
    }
    Ec2TestRunSpec spec = spec(running);
    LaunchSpec.RunIdentity run =
        new LaunchSpec.RunIdentity(UUID.randomUUID().toString(), "cli", "ec2-test");
    Ec2TestRunStatus status = new Ec2TestRunStatus();
    Instant started = clock.instant();
    Thread interrupted = terminateOnInterrupt(spec, run, status);
    String error = null;
    try {
      Progress progress = step(spec, run, started, status);
      while (!progress.isDone()) {
        Thread.sleep(progress.delay().toMillis());
        progress = step(spec, run, started, status);
      }
    } catch (Problem problem) {
      error = problem.messageFor(Setting.Audience.CLI) + cleanUp(spec, run, status);
      throw new CliException(error, 1);
    } catch (RuntimeException | InterruptedException e) {
      error = "stopped by " + e.getClass().getSimpleName() + cleanUp(spec, run, status);
      throw e; // whatever went wrong, the instance does not outlive the command
    } finally {
      Runtime.getRuntime().removeShutdownHook(interrupted);
      if (junit != null) {
        JUnitReport.write(junit, spec.region(), status, started, clock.instant(), error);
      }
    }
    print(status);
    return status.getPhase() == Ec2TestRunStatus.Phase.Succeeded ? 0 : 1;
  }

  /** One step; throttling and outages are retried with backoff a few times before giving up. */
  private Progress step(
      Ec2TestRunSpec spec, LaunchSpec.RunIdentity run, Instant started, Ec2TestRunStatus status)
      throws InterruptedException {
    long backoff = FIRST_BACKOFF.toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        return runner
            .get()
            .step(spec, run, started, status, clock.instant(), Ec2TestRunner.LaunchGate.ALWAYS);
      } catch (Problem problem) {
        if (!problem.retryable() || attempt >= ATTEMPTS) {
          throw problem;
        }
        Thread.sleep(backoff);
        backoff *= 2;
      }
    }
  }

  /**
   * After an error, terminates the instance the run may hold (unless --keep-instance) and says so.
   */
  private String cleanUp(Ec2TestRunSpec spec, LaunchSpec.RunIdentity run, Ec2TestRunStatus status) {
    if (keepInstance) {
      return status.getInstanceId() == null ? "" : "; " + status.getInstanceId() + " was kept";
    }
    try {
      // This command's status never left its memory: the id it recorded is its own instance.
      Optional<String> instance =
          status.getInstanceId() != null
              ? Optional.of(status.getInstanceId())
              : runner.get().instanceOf(spec.region(), run.uid(), status);
      if (instance.isEmpty()) {
        return "";
      }
      runner.get().terminate(spec.region(), instance.get());
      return "; " + instance.get() + " was terminated";
    } catch (RuntimeException again) { // never hides the error that led here
      String id = status.getInstanceId() == null ? "the instance" : status.getInstanceId();
      return "; terminating "
          + id
          + " failed too ("
          + (again instanceof Problem p
              ? p.messageFor(Setting.Audience.CLI)
              : "unexpected " + again.getClass().getSimpleName())
          + "): terminate it by hand";
    }
  }

  private Ec2TestRunSpec spec(Duration running) {
    Ec2TestRunSpec.LaunchTemplateReference template = null;
    if (source.launchTemplate != null) {
      String[] parts = source.launchTemplate.split(":", 2);
      template =
          new Ec2TestRunSpec.LaunchTemplateReference(
              null, parts[0], parts.length > 1 ? parts[1] : null, null);
    }
    var expect =
        new Ec2TestRunSpec.Expectations(
            expectInstanceType,
            expectZone,
            null,
            null,
            expectTags.isEmpty() ? null : expectTags,
            null);
    String total = Durations.format(running.plus(Duration.ofMinutes(5)));
    return new Ec2TestRunSpec(
        region,
        template,
        source.image == null ? null : source.image.imageId,
        source.image == null ? null : source.image.instanceType,
        null,
        List.of(),
        tags,
        expect,
        new Ec2TestRunSpec.Timeouts(Durations.format(running), total),
        keepInstance ? Ec2TestRunSpec.TerminatePolicy.Never : Ec2TestRunSpec.TerminatePolicy.Always,
        null,
        null);
  }

  /**
   * On Ctrl-C, an instance already launched is terminated (unless --keep-instance); one whose
   * launch was in flight is found by its owner tag.
   */
  private Thread terminateOnInterrupt(
      Ec2TestRunSpec spec, LaunchSpec.RunIdentity run, Ec2TestRunStatus status) {
    Ec2TestRunner ec2 = runner.get(); // resolved now: the context may be closing in the hook
    Thread hook =
        new Thread(
            () -> {
              if (!keepInstance) {
                ec2.instanceOf(spec.region(), run.uid(), status)
                    .ifPresent(
                        id -> {
                          System.err.println("builder: interrupted: terminating " + id);
                          ec2.terminate(spec.region(), id);
                        });
              }
            });
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private void print(Ec2TestRunStatus status) throws IOException {
    if (output.equals("json")) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("phase", status.getPhase());
      result.put("instanceId", status.getInstanceId());
      result.put("availabilityZone", status.getAvailabilityZone());
      result.put("instanceType", status.getInstanceType());
      result.put("timeToRunningSeconds", status.getTimeToRunningSeconds());
      result.put("checks", status.getChecks());
      System.out.println(json.writeValueAsString(result));
      return;
    }
    System.out.printf(
        "%s  instance %s  %s  %s  running after %ss%n%n",
        status.getPhase(),
        status.getInstanceId(),
        status.getInstanceType(),
        status.getAvailabilityZone(),
        status.getTimeToRunningSeconds());
    System.out.printf("%-22s %-30s %-30s %s%n", "CHECK", "EXPECTED", "ACTUAL", "RESULT");
    for (var c : status.getChecks()) {
      System.out.printf(
          "%-22s %-30s %-30s %s%n",
          c.name(), c.expected(), c.actual(), c.passed() ? "pass" : "FAIL");
    }
    System.out.println();
    System.out.println(status.getMessage());
  }
}
