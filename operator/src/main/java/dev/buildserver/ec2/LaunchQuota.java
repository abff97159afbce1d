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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Bounds how many runs have an instance at once, per region and per namespace, across every
 * operator process (shards, replicas, restarts). What counts is what EC2 holds: the instances with
 * the run-uid tag that are not terminated (a run with {@code terminate: Never} counts until its
 * instance is gone), and the slots granted in a Lease per region (the annotation {@value #GRANTS}),
 * updated with optimistic concurrency, so that two processes cannot both take the last slot. A
 * grant is held until its run releases it (it finished or was deleted) or its total timeout passes.
 */
@Singleton
public class LaunchQuota {

  static final String GRANTS = "buildserver.dev/launch-grants";

  private static final int ATTEMPTS = 5;

  /** A slot granted to a run, held until it is released or {@code until} passes. */
  record Grant(String uid, String namespace, String until) {}

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
   * slot is held until the run releases it, or at the latest {@code until} (its total timeout).
   * Every run holding a slot or an instance counts once, whichever of the two EC2 shows yet.
   */
  public boolean tryAcquire(
      Instances ec2, String region, String namespace, String uid, Instant now, Instant until) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Lease lease = lease(region);
      List<Grant> grants = grants(lease);
      if (grants.stream().anyMatch(g -> g.uid().equals(uid))) {
        return true;
      }
      // The runs that hold a slot: those with an instance that is not terminated (a run with
      // terminate: Never until its instance is gone), and those granted one that EC2 may not
      // show yet (listings lag behind RunInstances).
      Map<String, String> holding = new HashMap<>();
      for (InstanceInfo instance : ec2.ownedInstances(region)) {
        if (!"terminated".equals(instance.state())) {
          holding.put(instance.tags().get(LaunchSpec.OWNER_UID_TAG), namespaceOf(instance));
        }
      }
      List<Grant> live = new ArrayList<>();
      for (Grant grant : grants) {
        if (Instant.parse(grant.until()).isAfter(now)) {
          live.add(grant);
          holding.putIfAbsent(grant.uid(), grant.namespace());
        }
      }
      long inNamespace = holding.values().stream().filter(namespace::equals).count();
      if (holding.size() >= settings.getMaxActiveRunsPerRegion()
          || (settings.getMaxActiveRunsPerNamespace() > 0
              && inNamespace >= settings.getMaxActiveRunsPerNamespace())) {
        if (live.size() < grants.size()) {
          write(lease, live); // drop the lapsed grants (best effort)
        }
        return false;
      }
      live.add(new Grant(uid, namespace, until.toString()));
      if (write(lease, live)) {
        return true;
      }
      // another process changed the grants meanwhile: count again
    }
    throw new Problem(
        Reason.Throttled, "the launch slots of " + region + " are contended; retrying", true);
  }

  /**
   * Drops the grant of a run that ended or went away; its instance, if it keeps one, still counts
   * through EC2. Best effort: a lost race leaves the grant to lapse at its run's total timeout.
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
