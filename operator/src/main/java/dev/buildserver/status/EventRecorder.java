package dev.buildserver.status;

import dev.buildserver.common.InstanceIdentity;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Emits Kubernetes Events (core/v1) on buildserver resources, as kubectl describe shows them. */
@Singleton
public class EventRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  static final String COMPONENT = "buildserver-operator";

  private final KubernetesClient client;
  private final Clock clock;
  private final String instance;

  public EventRecorder(KubernetesClient client, Clock clock) {
    this(client, clock, new InstanceIdentity());
  }

  @Inject
  public EventRecorder(KubernetesClient client, Clock clock, InstanceIdentity identity) {
    this.client = client;
    this.clock = clock;
    this.instance = identity.name();
  }

  /**
   * Emits one Event, its message escaped and cut like a condition's; a failure to emit is logged
   * and never fails the reconcile. Events with the same type, reason and message on the same object
   * are aggregated, as client-go does: one Event with a deterministic name whose count and
   * lastTimestamp move.
   */
  public void record(HasMetadata resource, boolean warning, String reason, String raw) {
    // Whatever the message quotes: control characters escaped, and a bounded length.
    String message = Echo.message(raw);
    var meta = resource.getMetadata();
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    String type = warning ? "Warning" : "Normal";
    String name = meta.getName() + "." + key(meta.getUid(), type, reason, message);
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(meta.getNamespace())
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(resource.getApiVersion())
                    .withKind(resource.getKind())
                    .withName(meta.getName())
                    .withNamespace(meta.getNamespace())
                    .withUid(meta.getUid())
                    .withResourceVersion(meta.getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withReportingInstance(instance)
            .build();
    var events = client.v1().events().inNamespace(meta.getNamespace());
    try {
      try {
        events.resource(event).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        events
            .withName(name)
            .edit(
                existing -> {
                  existing.setCount(existing.getCount() == null ? 2 : existing.getCount() + 1);
                  existing.setLastTimestamp(now);
                  return existing;
                });
      }
    } catch (KubernetesClientException e) {
      LOG.warn(
          "Could not record event {} on {}/{}: {}",
          reason,
          meta.getNamespace(),
          meta.getName(),
          e.getMessage());
    }
  }

  /** A short digest of what makes two Events the same. */
  private static String key(String uid, String type, String reason, String message) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String identity = uid + "\n" + type + "\n" + reason + "\n" + message;
    return HexFormat.of()
        .formatHex(digest.digest(identity.getBytes(StandardCharsets.UTF_8)))
        .substring(0, 16);
  }
}
