package dev.buildserver.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of status writes. A reconciler hands over the status it wants and the condition it
 * decided; this sets observedGeneration and the condition, writes only when something changed,
 * caches what it wrote for the next reconcile, and then logs and emits the matching Event when the
 * condition changed.
 */
@Singleton
public class StatusRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(StatusRecorder.class);

  private final EventRecorder events;
  private final Clock clock;

  public StatusRecorder(EventRecorder events, Clock clock) {
    this.events = events;
    this.clock = clock;
  }

  /** A deep copy of the resource's current status, or a new one, for a reconciler to modify. */
  public <S extends ResourceStatus> S editable(CustomResource<?, S> resource, Supplier<S> empty) {
    S current = resource.getStatus();
    if (current == null) {
      return empty.get();
    }
    @SuppressWarnings("unchecked")
    Class<S> type = (Class<S>) current.getClass();
    return Serialization.jsonMapper().convertValue(current, type);
  }

  /**
   * Records {@code wanted} with {@code condition} on {@code resource}: see {@link
   * #record(CustomResource, ResourceStatus, List, Context)}.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus> UpdateControl<R> record(
      R resource, S wanted, ConditionSpec condition, Context<R> context) {
    return record(resource, wanted, List.of(condition), context);
  }

  /**
   * Writes {@code wanted} with {@code conditions} to the resource's status, when anything changed,
   * and caches the written resource so that the next reconcile reads this status (not an older one
   * from the informer). Events for changed conditions are emitted only once the write succeeded.
   * Returns no further update for the SDK to make; the caller may add a reschedule.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus> UpdateControl<R> record(
      R resource, S wanted, List<ConditionSpec> conditions, Context<R> context) {
    write(resource, wanted, conditions, context);
    return UpdateControl.noUpdate();
  }

  /**
   * Records a state a reconcile passes through before it has finished (an upload begun): like
   * {@link #record(CustomResource, ResourceStatus, ConditionSpec, Context)}, but a pending
   * reconcile request is not echoed yet.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus> void recordProgress(
      R resource, S wanted, ConditionSpec condition, Context<R> context) {
    write(resource, wanted, List.of(condition), context, false);
  }

  /**
   * The error-path counterpart of {@link #record(CustomResource, ResourceStatus, List, Context)}:
   * records the conditions of a failed reconcile, leaving the SDK's retry with backoff in place.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus>
      ErrorStatusUpdateControl<R> recordFailure(
          R resource, S wanted, List<ConditionSpec> conditions, Context<R> context) {
    write(resource, wanted, conditions, context);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /**
   * The one place a failed reconcile meets status. A user-fixable problem is recorded with the
   * conditions {@code describe} makes of it, and the reconcile ends; a transient one is rethrown,
   * so that the SDK retries with backoff and {@link #recordError} records it.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus> UpdateControl<R> recordProblem(
      R resource,
      S wanted,
      Problem problem,
      Function<Problem, List<ConditionSpec>> describe,
      Context<R> context) {
    if (problem.retryable()) {
      throw problem;
    }
    return record(resource, wanted, describe.apply(problem), context);
  }

  /**
   * Records the exception of a failed reconcile (the SDK's updateErrorStatus): its Problem, or an
   * unexpected error named by type only, with the conditions {@code describe} makes of it.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus>
      ErrorStatusUpdateControl<R> recordError(
          R resource,
          S wanted,
          Exception e,
          Function<Problem, List<ConditionSpec>> describe,
          Context<R> context) {
    return recordFailure(resource, wanted, describe.apply(Problem.of(e)), context);
  }

  private <R extends CustomResource<?, S>, S extends ResourceStatus> void write(
      R resource, S wanted, List<ConditionSpec> conditions, Context<R> context) {
    write(resource, wanted, conditions, context, true);
  }

  /**
   * Writes the status; with {@code finished}, a reconcile request (annotation) is echoed as
   * handled, unless the resource is paused: a paused resource has not acted on it.
   */
  private <R extends CustomResource<?, S>, S extends ResourceStatus> void write(
      R resource, S wanted, List<ConditionSpec> conditions, Context<R> context, boolean finished) {
    if (finished && !Pause.isPaused(resource)) {
      ReconcileRequest.echoable(resource).ifPresent(wanted::setLastHandledRequestedAt);
    }
    long generation = generation(resource);
    S previous = resource.getStatus();
    List<Condition> previousConditions = previous == null ? List.of() : previous.getConditions();
    List<Condition> next = previousConditions;
    for (ConditionSpec condition : conditions) {
      next = Conditions.upsert(next, condition, generation, clock.instant());
    }
    wanted.setObservedGeneration(generation);
    wanted.setConditions(next);
    if (previous != null && sameJson(previous, wanted)) {
      return;
    }
    if (!stillServed(resource, context)) {
      return;
    }
    patch(resource, wanted, context);
    Set<String> told = new HashSet<>(); // two conditions moving together make one Event
    for (ConditionSpec condition : conditions) {
      if (Conditions.changes(previousConditions, condition, generation)
          && told.add(condition.reason() + "\n" + condition.message())) {
        LOG.info(
            "{} {}={} {}: {}",
            resource.getKind(),
            condition.type(),
            condition.status(),
            condition.reason(),
            condition.message());
        events.record(resource, condition.isWarning(), condition.reason(), condition.message());
      }
    }
  }

  /**
   * Whether this process still serves the resource: its informer holds it. A resource relabelled to
   * another shard while its reconcile ran here has left the cache, and its new shard owns its
   * status from then on; a late write from here would take its status back a step.
   */
  private static <R extends CustomResource<?, ?>> boolean stillServed(
      R resource, Context<R> context) {
    if (context.getPrimaryCache().get(ResourceID.fromResource(resource)).isPresent()) {
      return true;
    }
    LOG.info(
        "{} {}/{} is no longer served by this process (relabelled to another shard, or deleted):"
            + " its status is left to the process that serves it",
        resource.getKind(),
        resource.getMetadata().getNamespace(),
        resource.getMetadata().getName());
    return false;
  }

  /** Patches the status subresource and hands the result to the SDK's cache. */
  private static <R extends CustomResource<?, S>, S extends ResourceStatus> void patch(
      R resource, S wanted, Context<R> context) {
    boolean ssa =
        context
            .getControllerConfiguration()
            .getConfigurationService()
            .useSSAToPatchPrimaryResource();
    if (ssa) {
      R fresh = emptyLike(resource);
      fresh.setStatus(wanted);
      PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(resource, fresh, context);
    } else {
      PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(
          resource,
          context,
          r -> {
            r.setStatus(wanted);
            return r;
          });
    }
  }

  /** A resource of the same kind with only its name and namespace: what SSA applies. */
  @SuppressWarnings("unchecked")
  private static <R extends CustomResource<?, ?>> R emptyLike(R resource) {
    try {
      R fresh = (R) resource.getClass().getDeclaredConstructor().newInstance();
      fresh.setMetadata(
          new ObjectMetaBuilder()
              .withName(resource.getMetadata().getName())
              .withNamespace(resource.getMetadata().getNamespace())
              .build());
      return fresh;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot create an empty " + resource.getKind(), e);
    }
  }

  private static long generation(CustomResource<?, ?> resource) {
    Long generation = resource.getMetadata().getGeneration();
    return generation == null ? 0L : generation;
  }

  private static boolean sameJson(Object a, Object b) {
    var mapper = Serialization.jsonMapper();
    return Objects.equals(mapper.valueToTree(a), mapper.valueToTree(b));
  }
}
