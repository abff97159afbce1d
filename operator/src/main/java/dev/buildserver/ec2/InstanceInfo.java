package dev.buildserver.ec2;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What DescribeInstances says about one instance. */
public record InstanceInfo(
    String instanceId,
    String state,
    String instanceType,
    String availabilityZone,
    String subnetId,
    List<String> securityGroupIds,
    Map<String, String> tags,
    Instant launchTime) {}
