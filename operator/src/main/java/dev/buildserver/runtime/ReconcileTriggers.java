package dev.buildserver.runtime;

import dev.buildserver.status.Finalizers;
import dev.buildserver.status.Pause;
import dev.buildserver.status.ReconcileRequest;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;

/**
 * Which updates of a buildserver resource start a reconcile: a new generation (spec change), a
 * change of the pause annotation or of the reconcile-request one ({@link ReconcileRequest}), the
 * start of a deletion, or the finalizer being added. Status writes, including the operator's own,
 * do not. This replaces the SDK's generation-aware filter, which would drop annotation-only updates
 * and so delay pause and resume until the next resync.
 */
final class ReconcileTriggers {

  private ReconcileTriggers() {}

  static <R extends HasMetadata> OnUpdateFilter<R> onUpdate() {
    return (updated, previous) ->
        generationChanged(updated, previous)
            || !Objects.equals(paused(updated), paused(previous))
            || !Objects.equals(ReconcileRequest.of(updated), ReconcileRequest.of(previous))
            || (updated.isMarkedForDeletion() && !previous.isMarkedForDeletion())
            || (updated.hasFinalizer(Finalizers.NAME) && !previous.hasFinalizer(Finalizers.NAME));
  }

  private static boolean generationChanged(HasMetadata updated, HasMetadata previous) {
    Long before = previous.getMetadata().getGeneration();
    Long after = updated.getMetadata().getGeneration();
    return before == null || after == null || before < after;
  }

  private static String paused(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(Pause.ANNOTATION);
  }
}
