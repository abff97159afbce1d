package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Compares a running instance with what the run expects. Pure: no I/O. */
public final class ExpectationCheck {

  private ExpectationCheck() {}

  /**
   * Every check, passed or not: the region always; the state (default running); and each
   * expectation the spec sets.
   */
  public static List<Check> check(
      String region, Ec2TestRunSpec.Expectations expect, InstanceInfo instance) {
    List<Check> checks = new ArrayList<>();
    String zone = instance.availabilityZone();
    String actualRegion =
        zone == null || zone.isEmpty() ? "" : zone.substring(0, zone.length() - 1);
    checks.add(check("region", region, actualRegion));
    String state = expect == null || expect.state() == null ? "running" : expect.state();
    checks.add(check("state", state, instance.state()));
    if (expect == null) {
      return checks;
    }
    if (expect.instanceType() != null) {
      checks.add(check("instanceType", expect.instanceType(), instance.instanceType()));
    }
    if (expect.availabilityZone() != null) {
      checks.add(check("availabilityZone", expect.availabilityZone(), zone));
    }
    if (expect.subnetId() != null) {
      checks.add(check("subnetId", expect.subnetId(), instance.subnetId()));
    }
    if (expect.securityGroupIds() != null && !expect.securityGroupIds().isEmpty()) {
      List<String> actual =
          instance.securityGroupIds() == null ? List.of() : instance.securityGroupIds();
      checks.add(
          new Check(
              "securityGroupIds",
              String.join(",", expect.securityGroupIds().stream().sorted().toList()),
              String.join(",", actual.stream().sorted().toList()),
              actual.containsAll(expect.securityGroupIds())));
    }
    if (expect.tags() != null) {
      Map<String, String> tags = instance.tags() == null ? Map.of() : instance.tags();
      new TreeMap<>(expect.tags()).forEach((k, v) -> checks.add(check("tag:" + k, v, tags.get(k))));
    }
    return checks;
  }

  private static Check check(String name, String expected, String actual) {
    return new Check(
        name, expected, actual == null ? "" : actual, Objects.equals(expected, actual));
  }
}
