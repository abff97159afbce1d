package dev.buildserver.ec2;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One RunInstances call, worked out from an Ec2TestRun spec (or the CLI's options). The owner tags
 * identify the run, so that its instance can be found again after a crash.
 */
public record LaunchSpec(
    String region,
    String templateId,
    String templateName,
    String templateVersion,
    Ec2TestRunSpec.LaunchTemplateData templateData,
    String imageId,
    String instanceType,
    String subnetId,
    List<String> securityGroupIds,
    Map<String, String> tags) {

  public static final String OWNER_UID_TAG = "buildserver.dev/run-uid";
  public static final String OWNER_TAG = "buildserver.dev/run";

  /** The launch an Ec2TestRun asks for, tagged with the run's identity. */
  public static LaunchSpec of(Ec2TestRunSpec spec, RunIdentity run) {
    Map<String, String> tags = new HashMap<>(spec.tags() == null ? Map.of() : spec.tags());
    tags.put(OWNER_UID_TAG, run.uid());
    tags.put(OWNER_TAG, run.namespace() + "/" + run.name());
    var template = spec.launchTemplate();
    return new LaunchSpec(
        spec.region(),
        template == null ? null : template.id(),
        template == null ? null : template.name(),
        template == null ? null : template.version(),
        template == null ? null : template.data(),
        spec.imageId(),
        spec.instanceType(),
        spec.subnetId(),
        spec.securityGroupIds() == null ? List.of() : spec.securityGroupIds(),
        Map.copyOf(tags));
  }

  /** This launch with its instance type set explicitly (it overrides a template's). */
  public LaunchSpec withInstanceType(String type) {
    return new LaunchSpec(
        region,
        templateId,
        templateName,
        templateVersion,
        templateData,
        imageId,
        type,
        subnetId,
        securityGroupIds,
        tags);
  }

  /** The name of the temporary launch template of a run with inline template data. */
  public static String temporaryTemplateName(String uid) {
    return "buildserver-run-" + uid;
  }

  /** Who a run is: the resource's uid, namespace and name (the CLI makes up its own). */
  public record RunIdentity(String uid, String namespace, String name) {}
}
