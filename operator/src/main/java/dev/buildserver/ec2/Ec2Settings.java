package dev.buildserver.ec2;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;
import java.util.List;

/** Limits of Ec2TestRuns, under {@code buildserver.ec2}. */
@ConfigurationProperties("buildserver.ec2")
public class Ec2Settings {

  private int maxActiveRunsPerRegion = 5;
  private int maxActiveRunsPerNamespace = 0;
  private List<String> allowedInstanceTypes = List.of();
  private Duration cleanupLookupWindow = Duration.ofSeconds(60);

  /**
   * Runs with an instance at once, per namespace and region (0: no cap of its own); the others wait
   * in Pending. Counted through EC2, so it holds across processes.
   */
  public int getMaxActiveRunsPerNamespace() {
    return maxActiveRunsPerNamespace;
  }

  public void setMaxActiveRunsPerNamespace(int maxActiveRunsPerNamespace) {
    this.maxActiveRunsPerNamespace = Math.max(0, maxActiveRunsPerNamespace);
  }

  /** The instance types runs may launch; empty: any. */
  public List<String> getAllowedInstanceTypes() {
    return allowedInstanceTypes;
  }

  public void setAllowedInstanceTypes(List<String> allowedInstanceTypes) {
    this.allowedInstanceTypes =
        allowedInstanceTypes == null
            ? List.of()
            : allowedInstanceTypes.stream().map(String::trim).filter(t -> !t.isEmpty()).toList();
  }

  /**
   * Runs with an instance at once, per region, counted through EC2 across every operator process;
   * the others wait in Pending. Default 5.
   */
  public int getMaxActiveRunsPerRegion() {
    return maxActiveRunsPerRegion;
  }

  public void setMaxActiveRunsPerRegion(int maxActiveRunsPerRegion) {
    this.maxActiveRunsPerRegion = Math.max(1, maxActiveRunsPerRegion);
  }

  /**
   * How long a run deleted while Launching, with no instance recorded, keeps looking for its
   * instance by owner tag (DescribeInstances is eventually consistent). Default 60 s.
   */
  public Duration getCleanupLookupWindow() {
    return cleanupLookupWindow;
  }

  public void setCleanupLookupWindow(Duration cleanupLookupWindow) {
    this.cleanupLookupWindow = cleanupLookupWindow;
  }
}
