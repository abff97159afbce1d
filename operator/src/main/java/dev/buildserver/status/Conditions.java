package dev.buildserver.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Pure functions over metav1-style condition lists. */
public final class Conditions {

  private Conditions() {}

  /**
   * Returns {@code current} with the condition of {@code wanted}'s type replaced by {@code wanted}.
   * The transition time moves only when the condition's status changes, as Kubernetes expects.
   */
  public static List<Condition> upsert(
      List<Condition> current, ConditionSpec wanted, long observedGeneration, Instant now) {
    List<Condition> result = new ArrayList<>();
    Optional<Condition> previous = find(current, wanted.type());
    String transitionTime =
        previous
            .filter(p -> Objects.equals(p.getStatus(), wanted.status().name()))
            .map(Condition::getLastTransitionTime)
            .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
    Condition condition =
        new ConditionBuilder()
            .withType(wanted.type())
            .withStatus(wanted.status().name())
            .withReason(wanted.reason())
            .withMessage(wanted.message())
            .withObservedGeneration(observedGeneration)
            .withLastTransitionTime(transitionTime)
            .build();
    boolean replaced = false;
    for (Condition c : current == null ? List.<Condition>of() : current) {
      if (wanted.type().equals(c.getType())) {
        result.add(condition);
        replaced = true;
      } else {
        result.add(c);
      }
    }
    if (!replaced) {
      result.add(condition);
    }
    return result;
  }

  /** The condition of the given type, if present. */
  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether {@code wanted} differs from what is recorded in status, apart from timestamps. */
  public static boolean changes(List<Condition> current, ConditionSpec wanted, long generation) {
    return find(current, wanted.type())
        .map(
            c ->
                !Objects.equals(c.getStatus(), wanted.status().name())
                    || !Objects.equals(c.getReason(), wanted.reason())
                    || !Objects.equals(c.getMessage(), wanted.message())
                    || !Objects.equals(c.getObservedGeneration(), generation))
        .orElse(true);
  }
}
