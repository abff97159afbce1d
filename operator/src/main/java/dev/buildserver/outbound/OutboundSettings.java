package dev.buildserver.outbound;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;
import java.util.List;

/**
 * Rules for outbound HTTP fetches (a BuildAsset {@code url} source, ledger pages), under {@code
 * buildserver.outbound}. Link-local targets (cloud metadata) are always refused.
 */
@ConfigurationProperties("buildserver.outbound")
public class OutboundSettings {

  private List<String> allowHosts = List.of();
  private List<String> denyHosts = List.of();
  private long maxBytes = 5L * 1024 * 1024 * 1024;
  private Duration connectTimeout = Duration.ofSeconds(10);
  private Duration readTimeout = Duration.ofSeconds(60);
  private Duration totalTimeout = Duration.ofMinutes(30);
  private boolean allowLoopback;
  private boolean denyPrivateNetworks;

  /**
   * When not empty, only these hosts (exact, or {@code *.suffix}) may be fetched from. A host
   * listed here is trusted: it may be on loopback or be the API server, and a bearer token may be
   * sent to it over plain http.
   */
  public List<String> getAllowHosts() {
    return allowHosts;
  }

  public void setAllowHosts(List<String> allowHosts) {
    this.allowHosts = allowHosts == null ? List.of() : List.copyOf(allowHosts);
  }

  /** Hosts (exact, or {@code *.suffix}) never fetched from. */
  public List<String> getDenyHosts() {
    return denyHosts;
  }

  public void setDenyHosts(List<String> denyHosts) {
    this.denyHosts = denyHosts == null ? List.of() : List.copyOf(denyHosts);
  }

  /** The largest body read from one fetch, in bytes (default 5 GiB, S3's single-copy limit). */
  public long getMaxBytes() {
    return maxBytes;
  }

  public void setMaxBytes(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public Duration getConnectTimeout() {
    return connectTimeout;
  }

  public void setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  /** How long to wait for the response headers of one request. */
  public Duration getReadTimeout() {
    return readTimeout;
  }

  public void setReadTimeout(Duration readTimeout) {
    this.readTimeout = readTimeout;
  }

  /**
   * How long one fetch may take from its request to the last byte of its body (default 30 min),
   * however steadily the server sends.
   */
  public Duration getTotalTimeout() {
    return totalTimeout;
  }

  public void setTotalTimeout(Duration totalTimeout) {
    this.totalTimeout = totalTimeout;
  }

  /**
   * Whether loopback and the Kubernetes API server's own addresses may be fetched from without
   * being listed in allow-hosts: false in the operator (default), true for the CLI on a user's
   * machine.
   */
  public boolean isAllowLoopback() {
    return allowLoopback;
  }

  public void setAllowLoopback(boolean allowLoopback) {
    this.allowLoopback = allowLoopback;
  }

  /** Refuse private network addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). */
  public boolean isDenyPrivateNetworks() {
    return denyPrivateNetworks;
  }

  public void setDenyPrivateNetworks(boolean denyPrivateNetworks) {
    this.denyPrivateNetworks = denyPrivateNetworks;
  }
}
