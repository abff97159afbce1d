package dev.buildserver.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings of the operator role, under {@code buildserver.operator}. */
@ConfigurationProperties("buildserver.operator")
public class OperatorSettings {

  private List<String> watchNamespaces = List.of();
  private boolean serverSideApply = true;
  private String kubeconfig;
  private Duration resyncPeriod = Duration.ofMinutes(10);

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

  /** Patch status with Server-Side Apply (true on a real API server; mock servers lack it). */
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

  /** An explicit kubeconfig file; without it the usual kubeconfig or in-cluster setup is used. */
  public Optional<String> getKubeconfig() {
    return Optional.ofNullable(kubeconfig).filter(k -> !k.isBlank());
  }

  public void setKubeconfig(String kubeconfig) {
    this.kubeconfig = kubeconfig;
  }
}
