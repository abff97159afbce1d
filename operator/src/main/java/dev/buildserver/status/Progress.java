package dev.buildserver.status;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;

/**
 * What a reconcile step asks for next: nothing more ({@link Done}), the next step at once, once
 * this one's status is recorded ({@link ContinueNow}), or another look after a while ({@link
 * RequeueAfter}).
 */
public sealed interface Progress {

  /** Nothing more to do until something changes. */
  record Done() implements Progress {}

  /** Go on with the next step as soon as this one's status is recorded. */
  record ContinueNow() implements Progress {}

  /** Look again after {@code delay}. */
  record RequeueAfter(Duration delay) implements Progress {}

  /** The pause before the next step: the SDK's shortest for ContinueNow. */
  Duration NOW = Duration.ofMillis(10);

  static Progress done() {
    return new Done();
  }

  static Progress continueNow() {
    return new ContinueNow();
  }

  static Progress requeueAfter(Duration delay) {
    return new RequeueAfter(delay);
  }

  default boolean isDone() {
    return this instanceof Done;
  }

  /** How long to wait before the next step (zero when done). */
  default Duration delay() {
    if (this instanceof RequeueAfter after) {
      return after.delay();
    }
    return this instanceof ContinueNow ? NOW : Duration.ZERO;
  }

  /** {@code control}, rescheduled as this progress asks. */
  default <R extends HasMetadata> UpdateControl<R> schedule(UpdateControl<R> control) {
    return isDone() ? control : control.rescheduleAfter(delay());
  }
}
