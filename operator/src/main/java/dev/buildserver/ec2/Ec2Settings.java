package dev.buildserver.ec2;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** Limits of Ec2TestRuns, under {@code buildserver.ec2}. */
@ConfigurationProperties("buildserver.ec2")
public class Ec2Settings {

  private int maxActiveRunsPerRegion = 5;
  private Duration cleanupLookupWindow = Duration.ofSeconds(60);

  /** Runs with an instance at once, per region; the others wait in Pending. Default 5. */
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
