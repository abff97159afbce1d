package dev.buildserver.upgrade;

import static dev.buildserver.upgrade.BuildserverKinds.ASSET;
import static dev.buildserver.upgrade.BuildserverKinds.REPORT;
import static dev.buildserver.upgrade.BuildserverKinds.RUN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.chaos.LocalStack;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * make upgrade-test: on the stack of make stack, the operator of an earlier commit ({@code
 * -Dupgrade.from}, built by hack/upgrade-from.sh) runs 200 BuildAssets, 3 BalanceReports and 10
 * Ec2TestRuns; today's jar ({@code -Dbuilder.jar}) takes over from it, then the earlier one takes
 * them back (the rollback). Every count is taken through the API server, S3 and EC2. The upgrade's
 * zeros are asserted; the rollback is written down as it happens. Writes target/upgrade/summary.md.
 */
@Tag("upgrade")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpgradeE2ETest {

  private static final String NAMESPACE = "upgrade";
  private static final String OPERATOR_KEY = "upgrade-operator";
  private static final String REQUESTED_AT = "buildserver.dev/requested-at";
  private static final Duration RESYNC = Duration.ofSeconds(5);
  private static final int ASSETS = 200;
  private static final int RUNS = 10;
  private static final Path SUMMARY = Path.of("target", "upgrade", "summary.md");

  private static LocalStack stack;
  private static StaticHttpServer files;
  private static AwsClients verifier;
  private static CloudCounts cloud;
  private static LiveWorkload workload;
  private static Handover handover;
  private static Release earlier;
  private static Release today;
  private static UpgradeSummary summary;
  private static BuilderProcess operator;
  private static int starts;

  @BeforeAll
  static void earlierReleaseRunsLiveResources() {
    earlier = release(System.getProperty("upgrade.from", ""));
    today =
        new Release(
            "today",
            System.getProperty("upgrade.today", "the working tree"),
            Path.of(System.getProperty("builder.jar", "")),
            RepoFiles.crds());
    summary = new UpgradeSummary(earlier, today);
    try {
      Instant begin = Instant.now();
      stack = LocalStack.start("upgrade");
      earlier.applyCrds(kubectl(), stack.kubeconfig());
      summary.setup(
          "the stack of make stack up, with the CRDs of %s applied over its own, in %s"
              .formatted(earlier.label(), since(begin)));
      files = StaticHttpServer.start();
      MotoServer.useDummyCredentials(); // the verifier signs as "testing", the operators never
      AwsSettings aws = new AwsSettings();
      aws.setEndpoint(stack.motoEndpoint());
      verifier = new AwsClients(aws);
      cloud = new CloudCounts(verifier.s3("us-east-1"), verifier.ec2("us-east-1"));
      workload = new LiveWorkload(stack.client(), NAMESPACE, verifier.s3("us-east-1"));
      handover =
          new Handover(
              stack,
              workload,
              cloud,
              release -> startOperator(release),
              OPERATOR_KEY,
              RESYNC,
              new LedgerOracle(RepoFiles.examples().resolve("ledger/transactions")));
      operator = startOperator(earlier).awaitReady();
      Instant created = Instant.now();
      workload.assets(ASSETS, files);
      workload.reports(sampleLedgerUrl());
      awaitNothingPending(Duration.ofMinutes(5));
      summary.setup(
          ("%d BuildAssets (%s in turn; one 12 MiB URL in parts) and %d BalanceReports writing"
                  + " their report to S3 (the stack's sample ledger) Ready under %s in %s")
              .formatted(
                  ASSETS,
                  String.join(", ", LiveWorkload.SOURCE_KINDS),
                  workload.reports().size(),
                  earlier.label(),
                  since(created)));
      workload.runs("up", RUNS);
      summary.setup(
          ("%d Ec2TestRuns (examples/ec2-test-run.yaml, total timeout 30m, terminate Always)"
                  + " created just before the switch: moto runs an instance at once, so a run"
                  + " takes about a second and runs are in flight only because both operators"
                  + " allow 2 active runs per region (buildserver.ec2.max-active-runs-per-region)"
                  + " and the others wait in Pending")
              .formatted(RUNS));
      summary.setup(
          "both operators: resync every %s, AWS through moto's front on 127.0.0.1, SIGTERM to stop"
              .formatted(HandoverFigures.seconds(RESYNC)));
    } catch (RuntimeException | Error e) {
      summary.failure("set-up: " + e);
      throw e;
    }
  }

  @AfterAll
  static void writeSummaryAndStop() {
    try {
      if (summary != null) {
        summary.write(SUMMARY.toAbsolutePath());
      }
    } finally {
      if (operator != null) {
        operator.close();
      }
      if (files != null) {
        files.close();
      }
      if (verifier != null) {
        verifier.close();
      }
      if (stack != null) {
        stack.close();
      }
    }
  }

  @Test
  @Order(1)
  void todaysOperatorTakesOverWithNothingLostOrDoneTwice() throws Exception {
    try {
      var result = handover.run("upgrade: " + earlier.label() + " → today", operator, today, true);
      operator = result.operator();
      HandoverFigures figures = result.figures();
      summary.add(figures);
      // Deleting some of what the earlier release made: today's operator lets each go.
      deleteAndCount(
          figures,
          r ->
              switch (r.getKind()) {
                case ASSET -> r.getMetadata().getName().endsWith("0");
                case REPORT -> r.getMetadata().getName().equals("report-1");
                default -> r.getMetadata().getName().matches("up-[0-4]");
              });
      assertThat(figures.rows().get(Handover.TAKEOVER)).isNotEqualTo("not reached");
      assertThat(figures.rows().get(Handover.RUNS_COMPLETE)).isNotEqualTo("not reached");
      assertThat(figures.mustBeZero())
          .allSatisfy((row, count) -> assertThat(count).as(row).isZero());
    } catch (RuntimeException | Error e) {
      summary.failure("upgrade: " + e);
      throw e;
    }
  }

  @Test
  @Order(2)
  void rollbackToTheEarlierReleaseIsWrittenDownAsItHappens() throws Exception {
    try {
      List<String> requested = List.of("asset-001", "report-0", "up-5");
      String echoed = requestReconcile(requested, Duration.ofSeconds(30));
      workload.runs("down", RUNS);
      var result = handover.run("rollback: today → " + earlier.label(), operator, earlier, false);
      operator = result.operator();
      HandoverFigures figures = result.figures();
      figures.put("before the rollback, today's operator echoed " + REQUESTED_AT, echoed);
      figures.put(
          "after the rollback, the earlier operator (under its CRDs) echoed " + REQUESTED_AT,
          requestReconcile(requested, RESYNC.multipliedBy(3)));
      summary.add(figures);
      deleteAndCount(figures, r -> true);
      assertThat(figures.rows()).isNotEmpty();
    } catch (RuntimeException | Error e) {
      summary.failure("rollback: " + e);
      throw e;
    }
  }

  /** This release's operator on the stack, with the environment ChaosE2ETest gives its own. */
  private static BuilderProcess startOperator(Release release) {
    Map<String, String> env = new HashMap<>();
    env.put("KUBECONFIG", stack.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", stack.motoEndpoint().toString());
    env.put("AWS_ACCESS_KEY_ID", OPERATOR_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", "upgrade-operator-secret");
    env.put("AWS_REGION", "us-east-1");
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", NAMESPACE);
    env.put("BUILDSERVER_OPERATOR_RESYNC_PERIOD", RESYNC.toSeconds() + "s");
    env.put("BUILDSERVER_EC2_MAX_ACTIVE_RUNS_PER_REGION", "2");
    env.put("BUILDSERVER_OUTBOUND_ALLOW_HOSTS", "127.0.0.1");
    env.put("BUILDSERVER_API_TOKEN", "upgrade-api-token");
    env.put("MICRONAUT_SERVER_HOST", "127.0.0.1");
    starts++;
    return release.startOperator("operator-" + starts + "-" + release.label(), env);
  }

  /**
   * Deletes the resources {@code which} picks and counts those still there after 60 s (their
   * finalizer not removed), and the S3 objects and instances they leave.
   */
  private static void deleteAndCount(
      HandoverFigures figures, Predicate<GenericKubernetesResource> which)
      throws InterruptedException {
    BuildserverKinds kinds = workload.kinds();
    List<GenericKubernetesResource> doomed = kinds.all().stream().filter(which).toList();
    Instant begin = Instant.now();
    doomed.forEach(r -> kinds.delete(r.getKind(), r.getMetadata().getName()));
    List<GenericKubernetesResource> left = doomed;
    while (!left.isEmpty() && Instant.now().isBefore(begin.plusSeconds(60))) {
      Thread.sleep(1_000);
      left =
          doomed.stream()
              .filter(r -> kinds.get(r.getKind(), r.getMetadata().getName()) != null)
              .toList();
    }
    figures.zero("resources still there 60 s after their deletion (stuck finalizers)", left.size());
    figures.put("deleted", doomed.size() + (left.isEmpty() ? ", all gone in " + since(begin) : ""));
    left.forEach(
        r -> {
          var now = kinds.get(r.getKind(), r.getMetadata().getName());
          figures.detail(
              "still there: %s, finalizers %s"
                  .formatted(
                      BuildserverKinds.id(r),
                      now == null ? "[]" : now.getMetadata().getFinalizers()));
        });
    long objectsLeft = 0;
    for (GenericKubernetesResource r : doomed) {
      String name = r.getMetadata().getName();
      String kind = r.getKind();
      if (ASSET.equals(kind) && workload.assets().containsKey(name)) {
        String key = workload.assets().get(name).key();
        objectsLeft += cloud.read(LiveWorkload.ASSET_BUCKET, key).isPresent() ? 1 : 0;
      } else if (REPORT.equals(kind) && workload.reports().containsKey(name)) {
        String key = workload.reports().get(name).key();
        objectsLeft += cloud.read(LiveWorkload.REPORT_BUCKET, key).isPresent() ? 1 : 0;
      }
      workload.forget(kind, name);
    }
    figures.put("S3 objects left behind by deleted BuildAssets and BalanceReports", objectsLeft);
    figures.put(
        "instances still running after the deletions", CloudCounts.live(cloud.instancesByRun()));
  }

  /**
   * Sets buildserver.dev/requested-at on these resources (one of each kind) and waits at most
   * {@code within} for the operator to echo it in status.lastHandledRequestedAt; says how many did.
   */
  private static String requestReconcile(List<String> names, Duration within)
      throws InterruptedException {
    BuildserverKinds kinds = workload.kinds();
    String at = Instant.now().toString();
    List<String[]> targets = new ArrayList<>();
    for (String name : names) {
      String kind = name.startsWith("asset") ? ASSET : name.startsWith("report") ? REPORT : RUN;
      kinds.patch(kind, name, Map.of("metadata", Map.of("annotations", Map.of(REQUESTED_AT, at))));
      targets.add(new String[] {kind, name});
    }
    Instant deadline = Instant.now().plus(within);
    long echoed = 0;
    while (Instant.now().isBefore(deadline)) {
      echoed =
          targets.stream()
              .filter(
                  t ->
                      at.equals(
                          BuildserverKinds.status(kinds.get(t[0], t[1]))
                              .get("lastHandledRequestedAt")))
              .count();
      if (echoed == targets.size()) {
        break;
      }
      Thread.sleep(500);
    }
    return echoed + " of " + targets.size() + " in status.lastHandledRequestedAt";
  }

  /** Waits until every BuildAsset and BalanceReport is Ready with its generation observed. */
  private static void awaitNothingPending(Duration within) {
    await()
        .atMost(within)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                workload.kinds().all().stream()
                    .filter(r -> !RUN.equals(r.getKind()))
                    .filter(
                        r ->
                            !"True".equals(BuildserverKinds.conditionStatus(r, "Ready"))
                                || !BuildserverKinds.observedCurrent(r))
                    .map(BuildserverKinds::id)
                    .toList(),
            List::isEmpty);
  }

  /** The sample ledger the stack serves (examples/ledger), at the port its log names. */
  private static String sampleLedgerUrl() {
    Path log = stack.kubeconfig().getParent().resolveSibling("upgrade.log");
    try {
      Matcher port =
          Pattern.compile("the sample ledger on 127\\.0\\.0\\.1:(\\d+)")
              .matcher(Files.readString(log));
      if (!port.find()) {
        throw new IllegalStateException(log + " does not say where the sample ledger listens");
      }
      return "http://127.0.0.1:" + port.group(1) + "/transactions/{page}.json";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path kubectl() {
    return stack.kubeconfig().resolveSibling("bin/kubectl");
  }

  /** The earlier release: the worktree hack/upgrade-from.sh made for {@code -Dupgrade.from}. */
  private static Release release(String commit) {
    Path dir = Path.of(System.getProperty("upgrade.from.dir", ""));
    if (commit.isBlank() || !Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "-Dupgrade.from ('"
              + commit
              + "') and -Dupgrade.from.dir ('"
              + dir
              + "') do not name the earlier release's worktree: run make upgrade-test"
              + " (FROM=commit)");
    }
    return new Release(
        commit.substring(0, Math.min(12, commit.length())),
        commit,
        dir.resolve("operator/target/builder.jar"),
        dir.resolve("crds"));
  }

  private static String since(Instant begin) {
    return HandoverFigures.seconds(Duration.between(begin, Instant.now()));
  }
}
