package dev.buildserver.status;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code buildserver.dev/requested-at} annotation: setting or changing it asks for a reconcile
 * at once (a drift check, a fresh ledger read, a step of a run), as Flux's {@code
 * reconcile.fluxcd.io/requestedAt} does. Its value (any token, usually a timestamp; {@code builder
 * reconcile} writes one) is echoed in {@code status.lastHandledRequestedAt} once a reconcile has
 * acted on it. A paused resource does not act, so it does not echo.
 */
public final class ReconcileRequest {

  public static final String ANNOTATION = "buildserver.dev/requested-at";

  /** Longer values are not echoed: status repeats only short, printable tokens. */
  static final int MAX_LENGTH = 128;

  private ReconcileRequest() {}

  /** The annotation's value as set, if any. */
  public static Optional<String> of(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return Optional.ofNullable(annotations == null ? null : annotations.get(ANNOTATION));
  }

  /** The value a reconcile may echo: set, at most 128 characters, none of them a control one. */
  public static Optional<String> echoable(HasMetadata resource) {
    return of(resource)
        .filter(v -> v.length() <= MAX_LENGTH && v.chars().noneMatch(Character::isISOControl));
  }

  /** Whether a request was made that no reconcile has acted on yet. */
  public static boolean pending(HasMetadata resource, ResourceStatus status) {
    Optional<String> asked = echoable(resource);
    return asked.isPresent()
        && (status == null || !asked.get().equals(status.getLastHandledRequestedAt()));
  }
}
