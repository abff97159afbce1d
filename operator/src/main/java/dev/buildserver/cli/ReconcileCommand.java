package dev.buildserver.cli;

import dev.buildserver.Main.CliException;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.common.Durations;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.status.Conditions;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Pause;
import dev.buildserver.status.ReconcileRequest;
import dev.buildserver.status.ResourceStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micronaut.context.BeanProvider;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code builder reconcile KIND/NAME}: asks the operator to reconcile one resource now, through the
 * {@code buildserver.dev/requested-at} annotation (as {@code flux reconcile} does), and with {@code
 * --wait} waits until its status echoes the request, then prints the resulting condition.
 */
@Command(
    name = "reconcile",
    mixinStandardHelpOptions = true,
    description = {
      "Reconcile a resource now: a drift check for a BuildAsset, a fresh ledger read for a"
          + " BalanceReport, a step for an Ec2TestRun.",
      "With --wait, exits 0 only if the resulting Ready condition (Succeeded for an Ec2TestRun) is"
          + " True."
    })
public class ReconcileCommand implements Callable<Integer> {

  /** A kind as the command line names it, and the condition that tells how it went. */
  private record Kind(String name, Class<? extends CustomResource<?, ?>> type, String condition) {}

  private static final List<Kind> KINDS =
      List.of(
          new Kind("buildasset", BuildAsset.class, "Ready"),
          new Kind("ec2testrun", Ec2TestRun.class, "Succeeded"),
          new Kind("balancereport", BalanceReport.class, "Ready"));

  private static final Duration POLL = Duration.ofMillis(500);

  @Parameters(
      index = "0",
      paramLabel = "KIND/NAME",
      description =
          "buildasset/NAME, ec2testrun/NAME or balancereport/NAME (plural and kind names work"
              + " too).",
      completionCandidates = KindNames.class)
  String target;

  @Option(
      names = {"-n", "--namespace"},
      description = "Namespace (default: the kubeconfig's).")
  String namespace;

  @Option(names = "--wait", description = "Wait until the operator has acted on the request.")
  boolean await;

  @Option(
      names = "--timeout",
      defaultValue = "2m",
      description = "How long --wait waits (default 2m), e.g. 30s, 5m.")
  String timeout;

  @Inject BeanProvider<KubernetesClient> kubernetes;
  @Inject Clock clock;

  /** What shell completion offers for KIND/NAME. */
  static final class KindNames extends java.util.ArrayList<String> {
    KindNames() {
      KINDS.forEach(k -> add(k.name() + "/"));
    }
  }

  @Override
  public Integer call() {
    int slash = target.indexOf('/');
    if (slash <= 0 || slash == target.length() - 1) {
      throw new CliException(
          "'" + Echo.escaped(target) + "' is not KIND/NAME, e.g. buildasset/release-notes", 2);
    }
    Kind kind = kind(target.substring(0, slash));
    String name = target.substring(slash + 1);
    Duration limit = duration(timeout);
    KubernetesClient client = kubernetes.get();
    String ns = namespace != null ? namespace : client.getNamespace();
    String shown = kind.name() + "/" + name;
    var resource = client.resources(kind.type()).inNamespace(ns).withName(name);
    CustomResource<?, ?> current = resource.get();
    if (current == null) {
      throw new CliException(shown + " not found in namespace " + ns, 1);
    }
    if (current.isMarkedForDeletion()) {
      throw new CliException(shown + " is being deleted: there is nothing left to reconcile", 1);
    }
    if (Pause.isPaused(current)) {
      throw new CliException(
          shown
              + " is paused ("
              + Pause.ANNOTATION
              + "=true): it does not act on a reconcile request until the annotation is removed",
          1);
    }
    String requested = clock.instant().toString();
    resource.patch(
        PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\""
            + ReconcileRequest.ANNOTATION
            + "\":\""
            + requested
            + "\"}}}");
    if (!await) {
      System.out.println(shown + ": reconcile requested at " + requested);
      return 0;
    }
    Instant deadline = clock.instant().plus(limit);
    while (true) {
      current = resource.get();
      if (current == null) {
        throw new CliException(shown + " was deleted while waiting", 1);
      }
      if (requested.equals(handled(current))) {
        return report(shown, kind, current);
      }
      if (!clock.instant().isBefore(deadline)) {
        throw new CliException(
            shown
                + ": the operator did not act on the request within "
                + timeout
                + " (is it running, and does it serve namespace "
                + ns
                + "?)",
            1);
      }
      sleep(POLL);
    }
  }

  /** Prints the kind's condition; 0 only if it is True. */
  private static int report(String shown, Kind kind, CustomResource<?, ?> resource) {
    Optional<Condition> condition =
        Conditions.find(conditions(resource), kind.condition()).filter(c -> c.getStatus() != null);
    if (condition.isEmpty()) {
      System.out.println(shown + ": " + kind.condition() + " is not set yet");
      return 1;
    }
    Condition c = condition.get();
    System.out.println(
        shown
            + ": "
            + c.getType()
            + "="
            + c.getStatus()
            + " "
            + Echo.escaped(String.valueOf(c.getReason()))
            + ": "
            + Echo.escaped(String.valueOf(c.getMessage())));
    return "True".equals(c.getStatus()) ? 0 : 1;
  }

  private static String handled(CustomResource<?, ?> resource) {
    return resource.getStatus() instanceof ResourceStatus s ? s.getLastHandledRequestedAt() : null;
  }

  private static List<Condition> conditions(CustomResource<?, ?> resource) {
    return resource.getStatus() instanceof ResourceStatus s ? s.getConditions() : List.of();
  }

  private static Kind kind(String given) {
    String wanted = given.toLowerCase(Locale.ROOT);
    for (Kind kind : KINDS) {
      if (wanted.equals(kind.name()) || wanted.equals(kind.name() + "s")) {
        return kind;
      }
    }
    throw new CliException(
        "'" + Echo.escaped(given) + "' is not a kind here: buildasset, ec2testrun or balancereport",
        2);
  }

  private static Duration duration(String text) {
    CliException bad =
        new CliException(
            "--timeout '" + Echo.escaped(text) + "' is not a duration like 30s or 5m", 2);
    try {
      return Durations.parse(text)
          .filter(d -> !d.isNegative() && !d.isZero())
          .orElseThrow(() -> bad);
    } catch (IllegalArgumentException e) {
      throw bad;
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", 130);
    }
  }
}
