package dev.buildserver.common;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a URL may be fetched: http or https only, host allowed by the allow/deny lists,
 * and no address of the host link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10,
 * fd00:ec2::254) or unspecified.
 */
public class OutboundGuard {

  /** Resolves a host name to its addresses; replaceable in tests. */
  public interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;
  }

  /** fd00:ec2::/32: EC2's IPv6 metadata service (::254) and the EKS Pod Identity agent (::23). */
  private static final byte[] EC2_SERVICES_V6 = {(byte) 0xfd, 0x00, 0x0e, (byte) 0xc2};

  private final List<String> allowHosts;
  private final List<String> denyHosts;
  private final Resolver resolver;

  public OutboundGuard(List<String> allowHosts, List<String> denyHosts, Resolver resolver) {
    this.allowHosts = lower(allowHosts);
    this.denyHosts = lower(denyHosts);
    this.resolver = resolver;
  }

  public static OutboundGuard of(OutboundSettings settings) {
    return new OutboundGuard(
        settings.getAllowHosts(),
        settings.getDenyHosts(),
        host -> List.of(InetAddress.getAllByName(host)));
  }

  /** Returns the parsed URI when it may be fetched. */
  public URI check(String url) throws OutboundRefused {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      String why =
          e.getCause() instanceof java.net.URISyntaxException syntax
              ? syntax.getReason() + " at index " + syntax.getIndex()
              : "malformed";
      throw new OutboundRefused("InvalidUrl", "the URL is not valid: " + why);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new OutboundRefused(
          "UrlRefused", "only http and https URLs can be fetched, not " + scheme + ": URLs");
    }
    String host = uri.getHost();
    if (host == null || host.isBlank()) {
      throw new OutboundRefused("InvalidUrl", "the " + scheme + " URL has no host");
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1); // "example.com." is example.com
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (matchesAny(host, denyHosts)) {
      throw new OutboundRefused(
          "UrlRefused", "host " + host + " is on the operator's outbound deny list");
    }
    if (!allowHosts.isEmpty() && !matchesAny(host, allowHosts)) {
      throw new OutboundRefused(
          "UrlRefused",
          "host " + host + " is not on the operator's outbound allow list " + allowHosts);
    }
    List<InetAddress> addresses;
    try {
      addresses = resolver.resolve(host);
    } catch (UnknownHostException e) {
      throw new OutboundRefused("UrlUnreachable", "cannot resolve host " + host, e);
    }
    for (InetAddress address : addresses) {
      if (isForbidden(address)) {
        throw new OutboundRefused(
            "UrlRefused",
            "host "
                + host
                + " resolves to "
                + address.getHostAddress()
                + ", a link-local or cloud metadata address: such targets are never fetched");
      }
    }
    return uri;
  }

  static boolean isForbidden(InetAddress address) {
    return address.isLinkLocalAddress()
        || address.isAnyLocalAddress()
        || (address.getAddress().length == 16
            && java.util.Arrays.equals(address.getAddress(), 0, 4, EC2_SERVICES_V6, 0, 4));
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
