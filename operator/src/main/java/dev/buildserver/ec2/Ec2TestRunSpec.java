package dev.buildserver.ec2;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.aws.ServiceAccountField;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/** How to launch the test instance and what to expect of it. Immutable once created. */
@ValidationRule(
    value = "self == oldSelf",
    message = "spec is immutable: create a new Ec2TestRun for a new run")
@ValidationRule(
    value = "has(self.launchTemplate) || (has(self.imageId) && has(self.instanceType))",
    message = "set launchTemplate, or both imageId and instanceType")
public record Ec2TestRunSpec(
    @Required
        @Pattern("^[a-z]{2}(-[a-z]+)+-[0-9]+$")
        @JsonPropertyDescription(
            "AWS region to launch in, e.g. eu-west-1. The instance must end up there.")
        String region,
    @JsonPropertyDescription(
            "Launch template to start from (by id or by name, with an optional version).")
        LaunchTemplateReference launchTemplate,
    @Pattern("^ami-[0-9a-f]+$")
        @JsonPropertyDescription("AMI to launch; overrides the launch template's image.")
        String imageId,
    @JsonPropertyDescription(
            "Instance type to launch, e.g. t2.micro; overrides the launch template's.")
        String instanceType,
    @JsonPropertyDescription("Subnet to launch into.") String subnetId,
    @JsonPropertyDescription("Security groups for the instance.") List<String> securityGroupIds,
    @JsonPropertyDescription("Tags applied to the instance at launch.") Map<String, String> tags,
    @JsonPropertyDescription("What the running instance must look like for the run to succeed.")
        Expectations expect,
    @JsonPropertyDescription("How long the run may take.") Timeouts timeouts,
    @Default("Always")
        @JsonPropertyDescription(
            "When to terminate the instance: Always (default), OnSuccess (keep it for debugging when a"
                + " check fails) or Never.")
        TerminatePolicy terminate,
    @Min(0)
        @JsonPropertyDescription("Delete this resource this many seconds after the run finished.")
        Long ttlSecondsAfterFinished,
    @Pattern(ServiceAccountField.PATTERN)
        @Size(max = 253)
        @JsonPropertyDescription(ServiceAccountField.DESCRIPTION)
        String serviceAccountName) {

  /** When the test instance is terminated. */
  public enum TerminatePolicy {
    Always,
    OnSuccess,
    Never
  }

  /** A launch template named by id or by name, or defined inline for this run. */
  @ValidationRule(
      value = "[has(self.id), has(self.name), has(self.data)].filter(x, x).size() == 1",
      message = "launchTemplate needs exactly one of id, name or data")
  public record LaunchTemplateReference(
      @Pattern("^lt-[0-9a-f]+$") @JsonPropertyDescription("Launch template id, e.g. lt-0abc123.")
          String id,
      @JsonPropertyDescription("Launch template name.") String name,
      @JsonPropertyDescription("Version number, $Latest or $Default. Defaults to $Default.")
          String version,
      @JsonPropertyDescription(
              "Launch template data for this run only: the run creates a temporary launch template,"
                  + " launches from it and deletes it when done.")
          LaunchTemplateData data) {}

  /** The parts of EC2 launch template data a test run can define inline. */
  public record LaunchTemplateData(
      @Pattern("^ami-[0-9a-f]+$") @JsonPropertyDescription("AMI to launch.") String imageId,
      @JsonPropertyDescription("Instance type, e.g. t3.micro.") String instanceType,
      @JsonPropertyDescription("Security groups of the instance.") List<String> securityGroupIds,
      @JsonPropertyDescription("Tags for instances launched from the template.")
          Map<String, String> tags) {}

  /** Checks made on the instance once it is running. */
  public record Expectations(
      @JsonPropertyDescription("Expected instance type.") String instanceType,
      @JsonPropertyDescription("Expected availability zone, e.g. eu-west-1a.")
          String availabilityZone,
      @JsonPropertyDescription("Expected subnet id.") String subnetId,
      @JsonPropertyDescription("Security groups the instance must have (all of them).")
          List<String> securityGroupIds,
      @JsonPropertyDescription("Tags the instance must carry (a subset of its tags).")
          Map<String, String> tags,
      @Default("running") @JsonPropertyDescription("Expected instance state. Default running.")
          String state) {}

  /** Time limits of the run, as durations such as 90s, 5m or 1h. */
  public record Timeouts(
      @Default("5m")
          @Pattern(DURATION)
          @JsonPropertyDescription("How long the instance may take to reach running. Default 5m.")
          String running,
      @Default("15m")
          @Pattern(DURATION)
          @JsonPropertyDescription("How long the whole run may take. Default 15m.")
          String total) {}

  /** A Go-style duration: one or more number-unit pairs (ms, s, m, h). */
  public static final String DURATION = "^([0-9]+(ms|s|m|h))+$";
}
