package dev.buildserver.status;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** The part every status shares: the generation last acted on and metav1-style conditions. */
public class ResourceStatus {

  @JsonPropertyDescription(
      "The metadata.generation of the spec this status describes. When it is lower than"
          + " metadata.generation the operator has not acted on the latest change yet.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "The latest observations of the resource's state, shaped like metav1.Condition"
          + " (type, status, reason, message, lastTransitionTime, observedGeneration).")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription(
      "The value of the buildserver.dev/requested-at annotation that the last reconcile acted on:"
          + " set the annotation (builder reconcile does) to reconcile at once, and wait until it is"
          + " echoed here.")
  private String lastHandledRequestedAt;

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getLastHandledRequestedAt() {
    return lastHandledRequestedAt;
  }

  public void setLastHandledRequestedAt(String lastHandledRequestedAt) {
    this.lastHandledRequestedAt = lastHandledRequestedAt;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions == null ? new ArrayList<>() : conditions;
  }
}
