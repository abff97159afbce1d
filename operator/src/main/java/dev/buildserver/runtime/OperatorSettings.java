package dev.buildserver.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings of the operator role, under {@code buildserver.operator}. */
@ConfigurationProperties("buildserver.operator")
public class OperatorSettings {

  private List<String> watchNamespaces = List.of();
  private boolean serverSideApply = false;
  private String kubeconfig;
  private Duration resyncPeriod = Duration.ofMinutes(10);
  private LeaderElection leaderElection = new LeaderElection();
  private String impersonateUser;
  private List<String> impersonateGroups = List.of();
  private String labelSelector;

  /**
   * Serve only the BuildAssets, Ec2TestRuns and BalanceReports that match this label selector
   * ({@code buildserver.dev/shard=a}, {@code !buildserver.dev/shard}, {@code key in (x, y)}): one
   * shard of a scaled-out operator. Empty: every resource.
   */
  public Optional<String> getLabelSelector() {
    return Optional.ofNullable(labelSelector).map(String::trim).filter(s -> !s.isEmpty());
  }

  public void setLabelSelector(String labelSelector) {
    this.labelSelector = labelSelector;
  }

  /** Namespaces to watch; empty means all namespaces. */
  public List<String> getWatchNamespaces() {
    return watchNamespaces;
  }

  public void setWatchNamespaces(List<String> watchNamespaces) {
    this.watchNamespaces =
        watchNamespaces == null
            ? List.of()
            : watchNamespaces.stream().map(String::trim).filter(n -> !n.isEmpty()).toList();
  }

  /**
   * Patch status with Server-Side Apply instead of a JSON merge patch. Off by default: the status
   * has one writer (StatusRecorder), and SSA cost 20% of convergence throughput in the benchmark
   * (1,000 BuildAssets Ready in 34 s with it, 27.5 s without).
   */
  public boolean isServerSideApply() {
    return serverSideApply;
  }

  public void setServerSideApply(boolean serverSideApply) {
    this.serverSideApply = serverSideApply;
  }

  /**
   * How often every resource is reconciled even without a change, to notice drift (an S3 object
   * deleted or replaced outside). Default 10 minutes.
   */
  public Duration getResyncPeriod() {
    return resyncPeriod;
  }

  public void setResyncPeriod(Duration resyncPeriod) {
    this.resyncPeriod = resyncPeriod;
  }

  /**
   * Act as this user (e.g. system:serviceaccount:NS:NAME), as {@code kubectl --as} does: runs the
   * operator locally with exactly the RBAC of its ServiceAccount.
   */
  public Optional<String> getImpersonateUser() {
    return Optional.ofNullable(impersonateUser).filter(u -> !u.isBlank());
  }

  public void setImpersonateUser(String impersonateUser) {
    this.impersonateUser = impersonateUser;
  }

  /** The groups of the impersonated user. */
  public List<String> getImpersonateGroups() {
    return impersonateGroups;
  }

  public void setImpersonateGroups(List<String> impersonateGroups) {
    this.impersonateGroups = impersonateGroups == null ? List.of() : List.copyOf(impersonateGroups);
  }

  public LeaderElection getLeaderElection() {
    return leaderElection;
  }

  public void setLeaderElection(LeaderElection leaderElection) {
    this.leaderElection = leaderElection;
  }

  /**
   * Leader election through a Lease, under {@code buildserver.operator.leader-election}: with
   * several replicas only the leader reconciles.
   */
  @ConfigurationProperties("leader-election")
  public static class LeaderElection {
    private boolean enabled;
    private String leaseName = "buildserver-operator";
    private String leaseNamespace;
    private Duration leaseDuration = Duration.ofSeconds(15);
    private Duration renewDeadline = Duration.ofSeconds(10);
    private Duration retryPeriod = Duration.ofSeconds(2);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getLeaseName() {
      return leaseName;
    }

    public void setLeaseName(String leaseName) {
      this.leaseName = leaseName;
    }

    /** The Lease's namespace; default POD_NAMESPACE, else the client's namespace. */
    public Optional<String> getLeaseNamespace() {
      return Optional.ofNullable(leaseNamespace)
          .or(() -> Optional.ofNullable(System.getenv("POD_NAMESPACE")))
          .filter(n -> !n.isBlank());
    }

    public void setLeaseNamespace(String leaseNamespace) {
      this.leaseNamespace = leaseNamespace;
    }

    public Duration getLeaseDuration() {
      return leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    public Duration getRenewDeadline() {
      return renewDeadline;
    }

    public void setRenewDeadline(Duration renewDeadline) {
      this.renewDeadline = renewDeadline;
    }

    public Duration getRetryPeriod() {
      return retryPeriod;
    }

    public void setRetryPeriod(Duration retryPeriod) {
      this.retryPeriod = retryPeriod;
    }
  }

  /** An explicit kubeconfig file; without it the usual kubeconfig or in-cluster setup is used. */
  public Optional<String> getKubeconfig() {
    return Optional.ofNullable(kubeconfig).filter(k -> !k.isBlank());
  }

  public void setKubeconfig(String kubeconfig) {
    this.kubeconfig = kubeconfig;
  }
}
