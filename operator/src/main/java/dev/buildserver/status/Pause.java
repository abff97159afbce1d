package dev.buildserver.status;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;

/** The {@code buildserver.dev/paused} annotation, which stops reconciling a resource. */
public final class Pause {

  public static final String ANNOTATION = "buildserver.dev/paused";
  public static final String REASON = "Paused";

  private Pause() {}

  public static boolean isPaused(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return annotations != null && "true".equalsIgnoreCase(annotations.get(ANNOTATION));
  }

  public static ConditionSpec condition() {
    return condition(ConditionSpec.READY);
  }

  /** The condition of the given type (Ready, or Complete for runs) saying that it is paused. */
  public static ConditionSpec condition(String type) {
    return new ConditionSpec(
        type,
        ConditionSpec.Status.False,
        REASON,
        "Reconciling is paused: remove the annotation " + ANNOTATION + " to resume.",
        false);
  }
}
