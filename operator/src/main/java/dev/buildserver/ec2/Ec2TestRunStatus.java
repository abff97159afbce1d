package dev.buildserver.ec2;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.status.ResourceStatus;
import java.util.ArrayList;
import java.util.List;

/** Progress and outcome of an Ec2TestRun. */
public class Ec2TestRunStatus extends ResourceStatus {

  /** Where a run is. */
  public enum Phase {
    Pending,
    Launching,
    WaitingForRunning,
    Verifying,
    Terminating,
    Succeeded,
    Failed
  }

  /** One expectation and how the instance met it. */
  public record Check(
      @JsonPropertyDescription("What was checked, e.g. instanceType.") String name,
      @JsonPropertyDescription("The expected value.") String expected,
      @JsonPropertyDescription("The value found.") String actual,
      @JsonPropertyDescription("Whether the check passed.") boolean passed) {}

  @JsonPropertyDescription(
      "Where the run is: Pending, Launching, WaitingForRunning, Verifying, Terminating, Succeeded or"
          + " Failed.")
  private Phase phase;

  @JsonPropertyDescription("Id of the instance this run launched.")
  private String instanceId;

  @JsonPropertyDescription("Availability zone the instance runs in.")
  private String availabilityZone;

  @JsonPropertyDescription("Type of the launched instance.")
  private String instanceType;

  @JsonPropertyDescription("When the instance was launched (RFC 3339).")
  private String launchedAt;

  @JsonPropertyDescription("When the instance was first seen running (RFC 3339).")
  private String runningAt;

  @JsonPropertyDescription("When the run finished (RFC 3339).")
  private String finishedAt;

  @JsonPropertyDescription("Seconds from launch to running.")
  private Long timeToRunningSeconds;

  @JsonPropertyDescription("Every expectation checked, with expected and actual values.")
  private List<Check> checks = new ArrayList<>();

  @JsonPropertyDescription("A human-readable summary of the outcome.")
  private String message;

  public Phase getPhase() {
    return phase;
  }

  public void setPhase(Phase phase) {
    this.phase = phase;
  }

  public String getInstanceId() {
    return instanceId;
  }

  public void setInstanceId(String instanceId) {
    this.instanceId = instanceId;
  }

  public String getAvailabilityZone() {
    return availabilityZone;
  }

  public void setAvailabilityZone(String availabilityZone) {
    this.availabilityZone = availabilityZone;
  }

  public String getInstanceType() {
    return instanceType;
  }

  public void setInstanceType(String instanceType) {
    this.instanceType = instanceType;
  }

  public String getLaunchedAt() {
    return launchedAt;
  }

  public void setLaunchedAt(String launchedAt) {
    this.launchedAt = launchedAt;
  }

  public String getRunningAt() {
    return runningAt;
  }

  public void setRunningAt(String runningAt) {
    this.runningAt = runningAt;
  }

  public String getFinishedAt() {
    return finishedAt;
  }

  public void setFinishedAt(String finishedAt) {
    this.finishedAt = finishedAt;
  }

  public Long getTimeToRunningSeconds() {
    return timeToRunningSeconds;
  }

  public void setTimeToRunningSeconds(Long timeToRunningSeconds) {
    this.timeToRunningSeconds = timeToRunningSeconds;
  }

  public List<Check> getChecks() {
    return checks;
  }

  public void setChecks(List<Check> checks) {
    this.checks = checks == null ? new ArrayList<>() : checks;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
