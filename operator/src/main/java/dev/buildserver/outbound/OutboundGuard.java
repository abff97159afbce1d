package dev.buildserver.outbound;

import dev.buildserver.status.Echo;
import dev.buildserver.status.Reason;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Decides whether a URL may be fetched: http or https only, host allowed by the allow/deny lists,
 * no address of the host link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10,
 * fd00:ec2::254) or unspecified; in the operator also no loopback address and none of the
 * Kubernetes API server's unless the host is allow-listed; private ranges only when allowed.
 */
public class OutboundGuard {

  /** Resolves a host name to its addresses; replaceable in tests. */
  public interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;
  }

  /**
   * The rules.
   *
   * @param allowHosts when not empty, only these hosts; a host listed here is trusted
   * @param allowLoopback whether loopback and the API server may be fetched without being listed
   * @param denyPrivateNetworks whether private network addresses are refused
   * @param apiServerHosts the Kubernetes API server's host names or addresses
   */
  public record Policy(
      List<String> allowHosts,
      List<String> denyHosts,
      boolean allowLoopback,
      boolean denyPrivateNetworks,
      List<String> apiServerHosts) {}

  /** fd00:ec2::/32: EC2's IPv6 metadata service (::254) and the EKS Pod Identity agent (::23). */
  private static final byte[] EC2_SERVICES_V6 = {(byte) 0xfd, 0x00, 0x0e, (byte) 0xc2};

  private static final String ALLOW_HOSTS = "buildserver.outbound.allow-hosts";

  private final List<String> allowHosts;
  private final List<String> denyHosts;
  private final boolean allowLoopback;
  private final boolean denyPrivateNetworks;
  private final Supplier<List<InetAddress>> apiServer;
  private final Resolver resolver;

  /** Lists only: loopback and private networks allowed (the CLI's rules). */
  public OutboundGuard(List<String> allowHosts, List<String> denyHosts, Resolver resolver) {
    this(new Policy(allowHosts, denyHosts, true, false, List.of()), resolver);
  }

  public OutboundGuard(Policy policy, Resolver resolver) {
    this.allowHosts = lower(policy.allowHosts());
    this.denyHosts = lower(policy.denyHosts());
    this.allowLoopback = policy.allowLoopback();
    this.denyPrivateNetworks = policy.denyPrivateNetworks();
    this.resolver = resolver;
    List<String> apiServerHosts = lower(policy.apiServerHosts());
    this.apiServer = memoize(() -> resolveAll(apiServerHosts));
  }

  public static OutboundGuard of(OutboundSettings settings, List<String> apiServerHosts) {
    return new OutboundGuard(
        new Policy(
            settings.getAllowHosts(),
            settings.getDenyHosts(),
            settings.isAllowLoopback(),
            settings.isDenyPrivateNetworks(),
            apiServerHosts),
        host -> List.of(InetAddress.getAllByName(host)));
  }

  /** Returns the parsed URI when it may be fetched. */
  public URI check(String url) throws OutboundRefused {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      String why =
          e.getCause() instanceof URISyntaxException syntax
              ? syntax.getReason() + " at index " + syntax.getIndex()
              : "malformed";
      throw new OutboundRefused(Reason.InvalidUrl, "the URL is not valid: " + why);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new OutboundRefused(
          Reason.UrlRefused,
          "only http and https URLs can be fetched, not " + Echo.value(scheme) + ": URLs");
    }
    String host = host(uri);
    if (host == null) {
      throw new OutboundRefused(Reason.InvalidUrl, "the " + scheme + " URL has no host");
    }
    String shown = Echo.value(host); // a host name is the user's, and may be long
    if (matchesAny(host, denyHosts)) {
      throw new OutboundRefused(
          Reason.UrlRefused, "host " + shown + " is on the operator's outbound deny list");
    }
    boolean listed = matchesAny(host, allowHosts);
    if (!allowHosts.isEmpty() && !listed) {
      throw new OutboundRefused(
          Reason.UrlRefused,
          "host " + shown + " is not on the operator's outbound allow list " + allowHosts);
    }
    List<InetAddress> addresses;
    try {
      addresses = resolver.resolve(host);
    } catch (UnknownHostException e) {
      throw new OutboundRefused(Reason.UrlUnreachable, "cannot resolve host " + shown, e);
    }
    for (InetAddress address : addresses) {
      String refusal = refusal(address, listed);
      if (refusal != null) {
        throw new OutboundRefused(
            Reason.UrlRefused,
            "host " + shown + " resolves to " + address.getHostAddress() + refusal);
      }
    }
    return uri;
  }

  /**
   * Whether credentials may be sent to this URL: over https, or over plain http to a host the allow
   * list names.
   */
  public boolean mayCarryCredentials(URI uri) {
    String host = host(uri);
    return "https".equalsIgnoreCase(uri.getScheme())
        || (host != null && matchesAny(host, allowHosts));
  }

  /** Why the address is refused (a sentence tail), or null. */
  private String refusal(InetAddress address, boolean listed) {
    if (isForbidden(address)) {
      return ", a link-local or cloud metadata address: such targets are never fetched";
    }
    if (listed) {
      return null;
    }
    if (!allowLoopback && address.isLoopbackAddress()) {
      return ", a loopback address: the operator does not fetch from its own pod unless the host"
          + " is listed in "
          + ALLOW_HOSTS;
    }
    if (!allowLoopback && apiServer.get().contains(address)) {
      return ", the Kubernetes API server: refused unless the host is listed in " + ALLOW_HOSTS;
    }
    if (denyPrivateNetworks && isPrivate(address)) {
      return ", a private network address: buildserver.outbound.deny-private-networks is set";
    }
    return null;
  }

  static boolean isForbidden(InetAddress address) {
    return address.isLinkLocalAddress()
        || address.isAnyLocalAddress()
        || (address.getAddress().length == 16
            && Arrays.equals(address.getAddress(), 0, 4, EC2_SERVICES_V6, 0, 4));
  }

  /** 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT) and fc00::/7. */
  static boolean isPrivate(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return address.isSiteLocalAddress() || ((b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64);
    }
    return (b[0] & 0xfe) == 0xfc;
  }

  private static String host(URI uri) {
    String host = uri.getHost();
    if (host == null || host.isBlank()) {
      return null;
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1); // "example.com." is example.com
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host;
  }

  private List<InetAddress> resolveAll(List<String> hosts) {
    return hosts.stream()
        .flatMap(
            h -> {
              try {
                return resolver.resolve(h).stream();
              } catch (UnknownHostException e) {
                return Stream.empty();
              }
            })
        .toList();
  }

  private static <T> Supplier<T> memoize(Supplier<T> supplier) {
    return new Supplier<>() {
      private volatile T value;

      @Override
      public T get() {
        T result = value;
        if (result == null) {
          result = supplier.get();
          value = result;
        }
        return result;
      }
    };
  }

  private static boolean matchesAny(String host, List<String> patterns) {
    for (String pattern : patterns) {
      if (pattern.startsWith("*.") ? host.endsWith(pattern.substring(1)) : host.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> lower(List<String> hosts) {
    return hosts == null
        ? List.of()
        : hosts.stream()
            .map(h -> h.trim().toLowerCase(Locale.ROOT))
            .filter(h -> !h.isEmpty())
            .toList();
  }
}
