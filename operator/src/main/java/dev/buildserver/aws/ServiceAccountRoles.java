package dev.buildserver.aws;

import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads which IAM role a ServiceAccount names ({@value WorkloadIdentities#ROLE_ANNOTATION}), and
 * why one names none, caching each answer briefly. The cache is bounded whatever names specs use.
 */
final class ServiceAccountRoles {

  /** ServiceAccount lookups kept at most (each a few hundred bytes). */
  static final int MAX_LOOKUPS = 10_000;

  private static final Pattern ROLE_ARN =
      Pattern.compile("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$");

  private final Supplier<KubernetesClient> client;
  private final Clock clock;
  private final Duration cacheTime;
  private final Map<String, Looked> lookups = new ConcurrentHashMap<>();

  /** A ServiceAccount as last read: its identity, or why it has none. */
  private record Looked(AwsIdentity identity, Problem problem, Instant at) {}

  ServiceAccountRoles(Supplier<KubernetesClient> client, Clock clock, Duration cacheTime) {
    this.client = client;
    this.clock = clock;
    this.cacheTime = cacheTime;
  }

  /** The identity of one ServiceAccount, read from the API server (cached briefly). */
  AwsIdentity identity(String namespace, String name) {
    String key = namespace + "/" + name;
    Instant now = clock.instant();
    Looked looked = lookups.get(key);
    if (looked == null || looked.at().plus(cacheTime).isBefore(now)) {
      looked = lookUp(namespace, name, now);
      if (lookups.size() >= MAX_LOOKUPS) {
        // Names come from specs: whatever they are, the cache stays bounded.
        lookups.values().removeIf(l -> l.at().plus(cacheTime).isBefore(now));
        if (lookups.size() >= MAX_LOOKUPS) {
          lookups.clear();
        }
      }
      lookups.put(key, looked);
    }
    if (looked.problem() != null) {
      throw looked.problem();
    }
    return looked.identity();
  }

  private Looked lookUp(String namespace, String name, Instant now) {
    ServiceAccount account;
    try {
      account = client.get().serviceAccounts().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new Problem(
          Reason.IdentityUnavailable,
          "cannot read ServiceAccount "
              + namespace
              + "/"
              + name
              + " (HTTP "
              + e.getCode()
              + "): the operator needs get on serviceaccounts",
          true,
          e);
    }
    String who = "ServiceAccount " + namespace + "/" + name;
    if (account == null) {
      return unusable(
          who
              + " does not exist: create it with the annotation "
              + WorkloadIdentities.ROLE_ANNOTATION
              + " naming the IAM role this resource acts as, or set spec.serviceAccountName to"
              + " one that does",
          now);
    }
    String role =
        Optional.ofNullable(account.getMetadata().getAnnotations())
            .map(a -> a.get(WorkloadIdentities.ROLE_ANNOTATION))
            .map(String::trim)
            .orElse("");
    if (role.isEmpty()) {
      return unusable(
          who
              + " has no annotation "
              + WorkloadIdentities.ROLE_ANNOTATION
              + ": annotate it with the IAM role this resource acts as"
              + " (arn:aws:iam::ACCOUNT:role/NAME)",
          now);
    }
    if (!ROLE_ARN.matcher(role).matches()) {
      return unusable(
          who
              + " names '"
              + Echo.value(role)
              + "' in "
              + WorkloadIdentities.ROLE_ANNOTATION
              + ", which is not an IAM role ARN like arn:aws:iam::123456789012:role/NAME",
          now);
    }
    return new Looked(new AwsIdentity(namespace, name, role), null, now);
  }

  /** A ServiceAccount that gives no identity: no AWS call is made for its resources. */
  private static Looked unusable(String why, Instant now) {
    return new Looked(
        null,
        new Problem(Reason.IdentityNotFound, why + "; no AWS call is made until then", false),
        now);
  }
}
