package dev.buildserver.ec2;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.buildserver.runtime.OperatorSettings;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Bounds how many runs have an instance at once, per region and per namespace, across every
 * operator process (shards, replicas, restarts). What counts is what EC2 holds: the instances with
 * the run-uid tag that are not terminated (a run with {@code terminate: Never} counts until its
 * instance is gone). A slot granted but not yet visible in EC2 is kept in a Lease per region (the
 * annotation {@value #GRANTS}), updated with optimistic concurrency, so that two processes cannot
 * both take the last slot.
 */
@Singleton
public class LaunchQuota {

  static final String GRANTS = "buildserver.dev/launch-grants";

  /** How long a granted slot counts while its instance does not show in EC2 yet. */
  static final Duration HELD_FOR = Duration.ofMinutes(2);

  private static final int ATTEMPTS = 5;

  /** A slot granted to a run that may not show in EC2 yet. */
  record Grant(String uid, String namespace, String at) {}

  private final KubernetesClient client;
  private final Ec2Settings settings;
  private final OperatorSettings operator;

  public LaunchQuota(KubernetesClient client, Ec2Settings settings, OperatorSettings operator) {
    this.client = client;
    this.settings = settings;
    this.operator = operator;
  }

  /**
   * Whether the run {@code uid} of {@code namespace} may launch in {@code region} now; if so, its
   * slot is held until its instance shows in EC2 (or for {@link #HELD_FOR}).
   */
  public boolean tryAcquire(
      Instances ec2, String region, String namespace, String uid, Instant now) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Lease lease = lease(region);
      List<Grant> grants = grants(lease);
      if (grants.stream().anyMatch(g -> g.uid().equals(uid))) {
        return true;
      }
      // One DescribeInstances: every instance with the owner tag, terminated ones included (EC2
      // lists them for about an hour), so that a grant whose instance came and went is dropped.
      List<InstanceInfo> owned = ec2.ownedInstances(region);
      Set<String> seen = new HashSet<>();
      owned.forEach(i -> seen.add(i.tags().get(LaunchSpec.OWNER_UID_TAG)));
      List<InstanceInfo> active =
          owned.stream().filter(i -> !"terminated".equals(i.state())).toList();
      List<Grant> pending = new ArrayList<>();
      for (Grant grant : grants) {
        if (!seen.contains(grant.uid()) && Instant.parse(grant.at()).plus(HELD_FOR).isAfter(now)) {
          pending.add(grant);
        }
      }
      long inRegion = active.size() + pending.size();
      long inNamespace =
          active.stream().filter(i -> namespace.equals(namespaceOf(i))).count()
              + pending.stream().filter(g -> namespace.equals(g.namespace())).count();
      if (inRegion >= settings.getMaxActiveRunsPerRegion()
          || (settings.getMaxActiveRunsPerNamespace() > 0
              && inNamespace >= settings.getMaxActiveRunsPerNamespace())) {
        if (pending.size() < grants.size()) {
          write(lease, pending); // drop the grants EC2 shows by now (best effort)
        }
        return false;
      }
      pending.add(new Grant(uid, namespace, now.toString()));
      if (write(lease, pending)) {
        return true;
      }
      // another process changed the grants meanwhile: count again
    }
    throw new Problem(
        Reason.Throttled, "the launch slots of " + region + " are contended; retrying", true);
  }

  /**
   * Drops the grant of a run that ended or went away: once its instance is gone (or was never
   * launched) it must not count until {@link #HELD_FOR}. Best effort: a lost race only leaves the
   * grant to lapse.
   */
  public void release(String region, String uid) {
    try {
      Lease lease =
          client.resources(Lease.class).inNamespace(namespace()).withName(leaseName(region)).get();
      if (lease == null) {
        return;
      }
      List<Grant> grants = grants(lease);
      List<Grant> kept = grants.stream().filter(g -> !g.uid().equals(uid)).toList();
      if (kept.size() < grants.size()) {
        write(lease, kept);
      }
    } catch (KubernetesClientException e) {
      // the grant lapses by itself
    }
  }

  /** The namespace of the run that launched an instance, from its owner tag. */
  static String namespaceOf(InstanceInfo instance) {
    String owner = instance.tags().getOrDefault(LaunchSpec.OWNER_TAG, "");
    int slash = owner.indexOf('/');
    return slash < 0 ? "" : owner.substring(0, slash);
  }

  private Lease lease(String region) {
    String name = leaseName(region);
    var resource = client.resources(Lease.class).inNamespace(namespace()).withName(name);
    Lease lease = resource.get();
    if (lease != null) {
      return lease;
    }
    try {
      return client
          .resource(
              new LeaseBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace())
                  .addToAnnotations(GRANTS, "[]")
                  .endMetadata()
                  .withNewSpec()
                  .endSpec()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return resource.get(); // created by another process meanwhile
      }
      throw e;
    }
  }

  private static String leaseName(String region) {
    return "buildserver-launch-slots-" + region;
  }

  private static List<Grant> grants(Lease lease) {
    Map<String, String> annotations =
        Optional.ofNullable(lease.getMetadata().getAnnotations()).orElse(Map.of());
    String json = annotations.getOrDefault(GRANTS, "[]");
    try {
      return Serialization.jsonMapper().readValue(json, new TypeReference<List<Grant>>() {});
    } catch (Exception e) {
      return List.of(); // an unreadable list is rebuilt from what EC2 shows
    }
  }

  /** Writes the grants only if nobody changed the Lease since it was read. */
  private boolean write(Lease lease, List<Grant> grants) {
    Map<String, String> annotations =
        new HashMap<>(Optional.ofNullable(lease.getMetadata().getAnnotations()).orElse(Map.of()));
    try {
      annotations.put(GRANTS, Serialization.jsonMapper().writeValueAsString(grants));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    lease.getMetadata().setAnnotations(annotations);
    try {
      client.resource(lease).update(); // conditional on the resourceVersion read
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  private String namespace() {
    return operator
        .getLeaderElection()
        .getLeaseNamespace()
        .orElseGet(() -> Optional.ofNullable(client.getNamespace()).orElse("default"));
  }
}
