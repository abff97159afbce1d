package dev.buildserver.runtime;

import dev.buildserver.aws.AwsSettings;
import dev.buildserver.aws.TrustedCertificates;
import dev.buildserver.common.InstanceIdentity;
import dev.buildserver.metrics.ResourceGauges;
import dev.buildserver.status.MainConditions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RegisteredController;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.Controller;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hosts java-operator-sdk: registers one reconciler per kind, starts and stops the operator. */
@Singleton
public class OperatorRuntime {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorRuntime.class);

  /** Lifecycle of the hosted operator, as the health endpoints report it. */
  public enum State {
    NEW,
    STARTING,
    RUNNING,
    FAILED,
    /**
     * Leadership was lost while running: reconciling stopped; liveness fails so the pod restarts.
     */
    LOST_LEADERSHIP,
    STOPPED
  }

  private static final long LIST_PAGE = 500;

  private final KubernetesClient client;
  private final List<Reconciler<?>> reconcilers;
  private final MeterRegistry meterRegistry;
  private final OperatorSettings settings;
  private final InstanceIdentity identity;
  private final AwsSettings aws;
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private volatile Operator operator;
  private volatile String failure;

  public OperatorRuntime(
      KubernetesClient client,
      List<Reconciler<?>> reconcilers,
      MeterRegistry meterRegistry,
      OperatorSettings settings) {
    this(client, reconcilers, meterRegistry, settings, new InstanceIdentity(), new AwsSettings());
  }

  @Inject
  public OperatorRuntime(
      KubernetesClient client,
      List<Reconciler<?>> reconcilers,
      MeterRegistry meterRegistry,
      OperatorSettings settings,
      InstanceIdentity identity,
      AwsSettings aws) {
    this.client = client;
    this.reconcilers = reconcilers;
    this.meterRegistry = meterRegistry;
    this.settings = settings;
    this.identity = identity;
    this.aws = aws;
  }

  /**
   * Registers the reconcilers and starts the operator; returns once the informers have synced.
   *
   * @throws OperatorStartException when the operator cannot start, with the reason in its message
   */
  public synchronized void start() {
    if (!state.compareAndSet(State.NEW, State.STARTING)) {
      throw new IllegalStateException("the operator was already started (state " + state + ")");
    }
    try {
      Operator op =
          new Operator(
              o -> {
                o.withKubernetesClient(client)
                    .withUseSSAToPatchPrimaryResource(settings.isServerSideApply())
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(meterRegistry))
                    .withCacheSyncTimeout(Duration.ofSeconds(60))
                    // A status this operator just wrote stays cached until the informer has an
                    // equal or newer version: an older event (e.g. the finalizer being added) must
                    // not bring back the status of the phase before.
                    .withParseResourceVersions(true)
                    .withCloseClientOnStop(false);
                if (settings.getLeaderElection().isEnabled()) {
                  o.withLeaderElectionConfiguration(leaderElection());
                }
              });
      settings.getLabelSelector().ifPresent(this::checkLabelSelector);
      // A CA bundle that cannot be read would fail every AWS call: one clear line now instead.
      TrustedCertificates.check(aws);
      for (Reconciler<?> reconciler : reconcilers) {
        register(op, reconciler);
      }
      operator = op;
      op.start();
      state.set(State.RUNNING);
      LOG.info(
          "Operator started with {} reconcilers, watching {}{}",
          reconcilers.size(),
          settings.getWatchNamespaces().isEmpty()
              ? "all namespaces"
              : settings.getWatchNamespaces(),
          settings.getLabelSelector().map(s -> ", resources labelled " + s).orElse(""));
    } catch (RuntimeException e) {
      failure = rootMessage(e);
      state.set(State.FAILED);
      stopQuietly();
      throw new OperatorStartException(explain(failure), e);
    }
  }

  private <R extends HasMetadata> void register(Operator op, Reconciler<R> reconciler) {
    List<String> namespaces = settings.getWatchNamespaces();
    RegisteredController<R> registered =
        op.register(
            reconciler,
            o -> {
              if (namespaces.size() <= 1) {
                // One informer: a lean cache. With several namespaces there is one informer per
                // namespace, and the SDK would give them this one store: each informer's list
                // would drop the other namespaces' resources from it (make chaos found that).
                o.withItemStore(new LeanItemStore<>());
              }
              // The first list comes in pages: 10,000 resources in one answer need more heap than
              // the operator holds for all of them once cached.
              o.withInformerListLimit(LIST_PAGE)
                  .withReconciliationMaxInterval(settings.getResyncPeriod())
                  .withGenerationAware(false)
                  .withOnUpdateFilter(ReconcileTriggers.onUpdate());
              if (!namespaces.isEmpty()) {
                o.settingNamespaces(new HashSet<>(namespaces));
              }
              settings.getLabelSelector().ifPresent(o::withLabelSelector);
            });
    // buildserver_resources counts from the controller's own informer cache: what it reconciles.
    if (reconciler instanceof MainConditions main
        && registered instanceof Controller<R> controller) {
      ResourceGauges.register(
          meterRegistry,
          HasMetadata.getKind(controller.getConfiguration().getResourceClass()),
          controller.getEventSourceManager().getControllerEventSource(),
          main.mainConditions(),
          Clock.systemUTC());
    }
  }

  /**
   * Lets the API server parse the shard's label selector once, so that a typo stops the start with
   * one clear line instead of informers that retry forever.
   */
  private void checkLabelSelector(String selector) {
    List<String> namespaces = settings.getWatchNamespaces();
    var configMaps = client.configMaps(); // any kind the operator may list parses it the same way
    try {
      (namespaces.isEmpty()
              ? configMaps.inAnyNamespace()
              : configMaps.inNamespace(namespaces.get(0)))
          .withLabelSelector(selector)
          .list(new ListOptionsBuilder().withLimit(1L).build());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_BAD_REQUEST) {
        throw new IllegalArgumentException(
            "buildserver.operator.label-selector '"
                + selector
                + "' is not a label selector (e.g. buildserver.dev/shard=a, !buildserver.dev/shard): "
                + Optional.ofNullable(e.getStatus())
                    .map(Status::getMessage)
                    .orElse(e.getMessage()));
      }
      throw e;
    }
  }

  private LeaderElectionConfiguration leaderElection() {
    var election = settings.getLeaderElection();
    String namespace =
        election
            .getLeaseNamespace()
            .orElseGet(() -> Optional.ofNullable(client.getNamespace()).orElse("default"));
    String identity = this.identity.name();
    LOG.info("Leader election on Lease {}/{} as {}", namespace, election.getLeaseName(), identity);
    return new LeaderElectionConfiguration(
        election.getLeaseName(),
        namespace,
        election.getLeaseDuration(),
        election.getRenewDeadline(),
        election.getRetryPeriod(),
        identity,
        new LeaderCallbacks(
            () -> LOG.info("Started leading: {} reconciles", identity),
            this::lostLeadership,
            leader -> LOG.info("The leader is {}", leader)),
        false);
  }

  /** Leadership lost while running (not while stopping): stop reconciling and report not live. */
  private void lostLeadership() {
    if (state.compareAndSet(State.RUNNING, State.LOST_LEADERSHIP)) {
      LOG.warn(
          "Lost leadership: stopping the operator; the liveness probe now fails so that the pod restarts");
      Thread stopper = new Thread(this::stopQuietly, "lost-leadership");
      stopper.setDaemon(true);
      stopper.start();
    }
  }

  /** Stops the operator gracefully; idempotent. */
  @PreDestroy
  public synchronized void stop() {
    State current = state.get();
    if (current == State.RUNNING || current == State.STARTING || current == State.LOST_LEADERSHIP) {
      state.set(State.STOPPED);
      stopQuietly();
      LOG.info("Operator stopped");
    }
  }

  private void stopQuietly() {
    Operator op = operator;
    if (op != null) {
      try {
        op.stop();
      } catch (RuntimeException e) {
        LOG.warn("Error while stopping the operator: {}", e.getMessage());
      }
    }
  }

  public State state() {
    return state.get();
  }

  /** Why the operator failed to start, when it did. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  /** The SDK's runtime view (informers, event sources), once the operator exists. */
  public Optional<RuntimeInfo> runtimeInfo() {
    return Optional.ofNullable(operator).map(Operator::getRuntimeInfo);
  }

  /** Event sources that are not healthy, by controller, for the readiness details. */
  public Map<String, ?> unhealthyEventSources() {
    return runtimeInfo().map(RuntimeInfo::unhealthyEventSources).orElse(Map.of());
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String explain(String message) {
    if (message.contains("404") || message.contains("NotFound") || message.contains("not found")) {
      return message + " (are the buildserver CRDs installed? kubectl apply -f crds/)";
    }
    return message;
  }

  /** The operator could not start; the message says why. */
  public static class OperatorStartException extends RuntimeException {
    OperatorStartException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
