package dev.buildserver.common;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The one owner of status writes. A reconciler hands over the status it wants and the condition it
 * decided; this sets observedGeneration and the condition, writes only when something changed, and
 * emits the matching Event when the condition changed.
 */
@Singleton
public class StatusRecorder {

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
   * Records {@code wanted} with {@code condition} on {@code resource}. Returns the patch to apply,
   * or no update when the status would not change.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus> UpdateControl<R> record(
      R resource, S wanted, ConditionSpec condition) {
    return record(resource, wanted, List.of(condition));
  }

  /** As {@link #record(CustomResource, ResourceStatus, ConditionSpec)}, for several conditions. */
  public <R extends CustomResource<?, S>, S extends ResourceStatus> UpdateControl<R> record(
      R resource, S wanted, List<ConditionSpec> conditions) {
    long generation = generation(resource);
    S previous = resource.getStatus();
    List<io.fabric8.kubernetes.api.model.Condition> previousConditions =
        previous == null ? List.of() : previous.getConditions();
    List<io.fabric8.kubernetes.api.model.Condition> next = previousConditions;
    for (ConditionSpec condition : conditions) {
      next = Conditions.upsert(next, condition, generation, clock.instant());
    }
    wanted.setObservedGeneration(generation);
    wanted.setConditions(next);
    if (previous != null && sameJson(previous, wanted)) {
      return UpdateControl.noUpdate();
    }
    for (ConditionSpec condition : conditions) {
      if (Conditions.changes(previousConditions, condition, generation)) {
        events.record(resource, condition.isWarning(), condition.reason(), condition.message());
      }
    }
    resource.setStatus(wanted);
    return UpdateControl.patchStatus(resource);
  }

  /**
   * The error-path counterpart of {@link #record(CustomResource, ResourceStatus, List)}: records
   * the conditions of a failed reconcile, leaving the SDK's retry with backoff in place.
   */
  public <R extends CustomResource<?, S>, S extends ResourceStatus>
      ErrorStatusUpdateControl<R> recordFailure(
          R resource, S wanted, List<ConditionSpec> conditions) {
    return record(resource, wanted, conditions).isPatchStatus()
        ? ErrorStatusUpdateControl.patchStatus(resource)
        : ErrorStatusUpdateControl.noStatusUpdate();
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
