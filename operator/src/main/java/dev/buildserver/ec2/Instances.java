package dev.buildserver.ec2;

import java.util.List;
import java.util.Optional;

/** The EC2 calls a test run makes: the seam between the run's steps and EC2. */
public interface Instances {

  /** The instance a run already launched, found by its owner tag (any state), if any. */
  Optional<InstanceInfo> findByOwner(String region, String uid);

  /** Every instance carrying the owner tag. */
  List<InstanceInfo> ownedInstances(String region);

  /** Launches one instance and returns its id. */
  String launch(LaunchSpec spec, String templateId, String clientToken);

  /** The instance, or empty when EC2 does not (or not yet) know it. */
  Optional<InstanceInfo> describe(String region, String instanceId);

  /** Terminates the instance; one already gone is fine. */
  void terminate(String region, String instanceId);

  /** The id of a run's temporary launch template, created from inline data if missing. */
  String ensureTemplate(String region, String name, Ec2TestRunSpec.LaunchTemplateData data);

  /** The instance type a launch template version sets, if any (the allow-list checks it). */
  Optional<String> templateInstanceType(
      String region, String templateId, String templateName, String version);

  /** Deletes a run's temporary launch template; a missing one is fine. */
  void deleteTemplate(String region, String name);
}
