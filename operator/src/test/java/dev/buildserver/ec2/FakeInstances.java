package dev.buildserver.ec2;

import dev.buildserver.status.Problem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * EC2 in memory, at the seam the run's steps use: instances launched, their states, and every call
 * made. For unit tests of single steps, without moto.
 */
final class FakeInstances implements Instances {

  final Map<String, InstanceInfo> instances = new LinkedHashMap<>();
  final List<String> calls = new ArrayList<>();
  private int next = 1;
  String launchState = "running";

  /** Owner-tag lookups that find nothing yet, as right after RunInstances. */
  int hiddenLookups;

  /** What every owner-tag lookup fails with, when set. */
  Problem lookupFailure;

  /** An instance as launched for a run (owner tag set), in {@code state}. */
  InstanceInfo add(String uid, String state) {
    return add(uid, "ns", state);
  }

  /** An instance as launched for a run of {@code namespace}, in {@code state}. */
  InstanceInfo add(String uid, String namespace, String state) {
    String id = "i-" + (next++);
    InstanceInfo info =
        new InstanceInfo(
            id,
            state,
            "t2.micro",
            "us-east-1a",
            "subnet-1",
            List.of("sg-1"),
            Map.of(LaunchSpec.OWNER_UID_TAG, uid, LaunchSpec.OWNER_TAG, namespace + "/run"),
            Instant.parse("2026-01-01T00:00:00Z"));
    instances.put(id, info);
    return info;
  }

  void setState(String id, String state) {
    InstanceInfo i = instances.get(id);
    instances.put(
        id,
        new InstanceInfo(
            id,
            state,
            i.instanceType(),
            i.availabilityZone(),
            i.subnetId(),
            i.securityGroupIds(),
            i.tags(),
            i.launchTime()));
  }

  @Override
  public Optional<InstanceInfo> findByOwner(String region, String uid) {
    calls.add("DescribeInstances(owner)");
    if (lookupFailure != null) {
      throw lookupFailure;
    }
    if (hiddenLookups > 0) {
      hiddenLookups--;
      return Optional.empty();
    }
    return instances.values().stream()
        .filter(i -> uid.equals(i.tags().get(LaunchSpec.OWNER_UID_TAG)))
        .findFirst();
  }

  @Override
  public List<InstanceInfo> ownedInstances(String region) {
    return List.copyOf(instances.values());
  }

  @Override
  public String launch(LaunchSpec spec, String templateId, String clientToken) {
    calls.add("RunInstances");
    return add(clientToken, launchState).instanceId();
  }

  @Override
  public Optional<InstanceInfo> describe(String region, String instanceId) {
    calls.add("DescribeInstances");
    return Optional.ofNullable(instances.get(instanceId));
  }

  @Override
  public void terminate(String region, String instanceId) {
    calls.add("TerminateInstances");
    if (instances.containsKey(instanceId)) {
      setState(instanceId, "terminated");
    }
  }

  @Override
  public String ensureTemplate(String region, String name, Ec2TestRunSpec.LaunchTemplateData data) {
    calls.add("CreateLaunchTemplate");
    return "lt-1";
  }

  /** The instance type the launch templates set, by name. */
  final Map<String, String> templateTypes = new LinkedHashMap<>();

  @Override
  public Optional<String> templateInstanceType(
      String region, String templateId, String templateName, String version) {
    calls.add("DescribeLaunchTemplateVersions");
    return Optional.ofNullable(templateTypes.get(templateName));
  }

  @Override
  public void deleteTemplate(String region, String name) {
    calls.add("DeleteLaunchTemplate");
  }
}
