package dev.buildserver.ec2;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** The one place that talks to EC2 for test runs: find, launch, describe, terminate, templates. */
@Singleton
public class InstanceLauncher implements Instances {

  private final AwsClients aws;
  private final AwsIdentity identity;

  @Inject
  public InstanceLauncher(AwsClients aws) {
    this(aws, AwsIdentity.OPERATOR);
  }

  private InstanceLauncher(AwsClients aws, AwsIdentity identity) {
    this.aws = aws;
    this.identity = identity;
  }

  /** The same calls, made as {@code identity} (a run's ServiceAccount role). */
  public InstanceLauncher as(AwsIdentity identity) {
    return identity.equals(this.identity) ? this : new InstanceLauncher(aws, identity);
  }

  /** The instance a run already launched, found by its owner tag (any state), if any. */
  @Override
  public Optional<InstanceInfo> findByOwner(String region, String uid) {
    return instances(region, "tag:" + LaunchSpec.OWNER_UID_TAG, uid).stream()
        .min(
            Comparator.comparing(
                InstanceInfo::launchTime, Comparator.nullsLast(Comparator.naturalOrder())));
  }

  /** Every instance carrying the owner tag (for counting in tests and reports). */
  @Override
  public List<InstanceInfo> ownedInstances(String region) {
    return instances(region, "tag-key", LaunchSpec.OWNER_UID_TAG);
  }

  private List<InstanceInfo> instances(String region, String filter, String value) {
    return instances(region, List.of(Filter.builder().name(filter).values(value).build()));
  }

  private List<InstanceInfo> instances(String region, List<Filter> filters) {
    return call(
        "DescribeInstances",
        () ->
            ec2(region).describeInstancesPaginator(b -> b.filters(filters)).reservations().stream()
                .flatMap(r -> r.instances().stream())
                .map(InstanceLauncher::info)
                .toList());
  }

  /** Launches one instance; {@code clientToken} makes a retried call idempotent on real EC2. */
  @Override
  public String launch(LaunchSpec spec, String templateId, String clientToken) {
    List<Tag> tags = new ArrayList<>();
    spec.tags().forEach((k, v) -> tags.add(Tag.builder().key(k).value(v).build()));
    return call(
        "RunInstances",
        () ->
            ec2(spec.region())
                .runInstances(
                    b -> {
                      b.minCount(1).maxCount(1).clientToken(clientToken);
                      if (templateId != null || spec.templateName() != null) {
                        b.launchTemplate(
                            t -> {
                              if (templateId != null) {
                                t.launchTemplateId(templateId);
                              } else {
                                t.launchTemplateName(spec.templateName());
                              }
                              t.version(
                                  spec.templateVersion() == null
                                      ? "$Default"
                                      : spec.templateVersion());
                            });
                      }
                      if (spec.imageId() != null) {
                        b.imageId(spec.imageId());
                      }
                      if (spec.instanceType() != null) {
                        b.instanceType(spec.instanceType());
                      }
                      if (spec.subnetId() != null) {
                        b.subnetId(spec.subnetId());
                      }
                      if (!spec.securityGroupIds().isEmpty()) {
                        b.securityGroupIds(spec.securityGroupIds());
                      }
                      b.tagSpecifications(
                          TagSpecification.builder()
                              .resourceType(ResourceType.INSTANCE)
                              .tags(tags)
                              .build());
                    })
                .instances()
                .get(0)
                .instanceId());
  }

  @Override
  public Optional<InstanceInfo> describe(String region, String instanceId) {
    try {
      return call(
          "DescribeInstances",
          () ->
              ec2(region).describeInstances(b -> b.instanceIds(instanceId)).reservations().stream()
                  .flatMap(r -> r.instances().stream())
                  .findFirst()
                  .map(InstanceLauncher::info));
    } catch (Problem p) {
      if (p.kind() == Reason.InstanceNotFound) {
        return Optional.empty(); // not visible yet: EC2 is eventually consistent
      }
      throw p;
    }
  }

  /** Terminates the instance; an instance already gone is fine. */
  @Override
  public void terminate(String region, String instanceId) {
    try {
      call(
          "TerminateInstances",
          () -> ec2(region).terminateInstances(b -> b.instanceIds(instanceId)));
    } catch (Problem p) {
      if (p.kind() != Reason.InstanceNotFound) {
        throw p;
      }
    }
  }

  /** The id of the run's temporary launch template, created from the inline data if missing. */
  @Override
  public String ensureTemplate(String region, String name, Ec2TestRunSpec.LaunchTemplateData data) {
    var existing =
        call(
            "DescribeLaunchTemplates",
            () ->
                ec2(region)
                    .describeLaunchTemplates(
                        b ->
                            b.filters(
                                Filter.builder().name("launch-template-name").values(name).build()))
                    .launchTemplates());
    if (!existing.isEmpty()) {
      return existing.get(0).launchTemplateId();
    }
    Map<String, String> tags = new HashMap<>(data.tags() == null ? Map.of() : data.tags());
    return call(
        "CreateLaunchTemplate",
        () ->
            ec2(region)
                .createLaunchTemplate(
                    b ->
                        b.launchTemplateName(name)
                            .launchTemplateData(
                                d -> {
                                  d.imageId(data.imageId());
                                  if (data.instanceType() != null) {
                                    d.instanceType(data.instanceType());
                                  }
                                  if (data.securityGroupIds() != null
                                      && !data.securityGroupIds().isEmpty()) {
                                    d.securityGroupIds(data.securityGroupIds());
                                  }
                                  if (!tags.isEmpty()) {
                                    List<Tag> list = new ArrayList<>();
                                    tags.forEach(
                                        (k, v) -> list.add(Tag.builder().key(k).value(v).build()));
                                    d.tagSpecifications(
                                        t -> t.resourceType(ResourceType.INSTANCE).tags(list));
                                  }
                                }))
                .launchTemplate()
                .launchTemplateId());
  }

  @Override
  public Optional<String> templateInstanceType(
      String region, String templateId, String templateName, String version) {
    var versions =
        call(
            "DescribeLaunchTemplateVersions",
            () ->
                ec2(region)
                    .describeLaunchTemplateVersions(
                        b -> {
                          if (templateId != null) {
                            b.launchTemplateId(templateId);
                          } else {
                            b.launchTemplateName(templateName);
                          }
                          b.versions(version == null ? "$Default" : version);
                        })
                    .launchTemplateVersions());
    return versions.stream()
        .findFirst()
        .map(
            v ->
                v.launchTemplateData() == null
                    ? null
                    : v.launchTemplateData().instanceTypeAsString())
        .filter(t -> !t.isBlank());
  }

  /** Deletes the run's temporary launch template; a missing one is fine. */
  @Override
  public void deleteTemplate(String region, String name) {
    try {
      call(
          "DeleteLaunchTemplate",
          () -> ec2(region).deleteLaunchTemplate(b -> b.launchTemplateName(name)));
    } catch (Problem p) {
      if (p.kind() != Reason.LaunchTemplateNotFound) {
        throw p;
      }
    }
  }

  private Ec2Client ec2(String region) {
    return aws.ec2(identity, region);
  }

  private static InstanceInfo info(Instance i) {
    Map<String, String> tags = new HashMap<>();
    i.tags().forEach(t -> tags.put(t.key(), t.value()));
    return new InstanceInfo(
        i.instanceId(),
        i.state() == null ? null : i.state().nameAsString(),
        i.instanceTypeAsString(),
        i.placement() == null ? null : i.placement().availabilityZone(),
        i.subnetId(),
        i.securityGroups().stream().map(g -> g.groupId()).toList(),
        Map.copyOf(tags),
        i.launchTime());
  }

  /** The reason for an EC2 error code; the code itself stays in the message. */
  static Reason reason(String code, boolean throttled, int status) {
    if (throttled) {
      return Reason.Throttled;
    }
    if (status >= 500) {
      return Reason.Ec2Unavailable;
    }
    if (code.equals("InvalidInstanceID.NotFound")) { // a malformed id is an error, not "gone"
      return Reason.InstanceNotFound;
    }
    if (code.startsWith("InvalidLaunchTemplateName")
        || code.startsWith("InvalidLaunchTemplateId")) {
      return Reason.LaunchTemplateNotFound;
    }
    if (code.equals("UnauthorizedOperation") || code.equals("AuthFailure")) {
      return Reason.AccessDenied;
    }
    return Reason.Ec2Error;
  }

  /** Runs one EC2 call, mapping its errors: throttling and outages are retryable, the rest not. */
  private <T> T call(String action, Supplier<T> operation) {
    try {
      return operation.get();
    } catch (Ec2Exception e) {
      String code =
          e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null
              ? "HTTP" + e.statusCode()
              : e.awsErrorDetails().errorCode();
      String message =
          e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
      boolean throttled =
          code.equals("RequestLimitExceeded")
              || code.equals("Throttling")
              || e.isThrottlingException();
      boolean retryable = throttled || e.statusCode() >= 500;
      Reason reason = reason(code, throttled, e.statusCode());
      String hint =
          code.equals("UnauthorizedOperation") || code.equals("AuthFailure")
              ? ": allow "
                  + (identity.isOperator() ? "the operator's IAM identity" : identity.describe())
                  + " ec2:"
                  + action
              : "";
      throw new Problem(reason, action + " failed: " + code + ": " + message + hint, retryable, e);
    } catch (SdkClientException e) {
      throw new Problem(Reason.Ec2Unreachable, "cannot reach EC2: " + e.getMessage(), true, e);
    }
  }
}
