package dev.buildserver.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboundGuardTest {

  /** Resolves names from a table, so that no DNS is involved. */
  private static OutboundGuard guard(List<String> allow, List<String> deny) {
    Map<String, String> dns =
        Map.of(
            "artifacts.example.com", "93.184.216.34",
            "sneaky.example.com", "169.254.169.254",
            "mirror.internal.example", "10.1.2.3",
            "localhost", "127.0.0.1");
    return new OutboundGuard(
        allow, deny, host -> List.of(InetAddress.getByName(dns.getOrDefault(host, host))));
  }

  private static void assertRefused(
      OutboundGuard guard, String url, String reason, String message) {
    assertThatThrownBy(() -> guard.check(url))
        .isInstanceOf(OutboundRefused.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((OutboundRefused) e).reason()).isEqualTo(reason));
  }

  @Test
  void allowsHttpAndHttpsToOrdinaryHosts() throws OutboundRefused {
    OutboundGuard guard = guard(List.of(), List.of());
    assertThat(guard.check("https://artifacts.example.com/a.tar.gz").getHost())
        .isEqualTo("artifacts.example.com");
    assertThat(guard.check("http://127.0.0.1:8080/x")).isNotNull();
  }

  @Test
  void refusesOtherSchemes() {
    OutboundGuard guard = guard(List.of(), List.of());
    assertRefused(guard, "file:///etc/passwd", "UrlRefused", "only http and https");
    assertRefused(guard, "ftp://artifacts.example.com/a", "UrlRefused", "only http and https");
  }

  @Test
  void refusesLinkLocalTargetsHoweverTheyAreSpelled() {
    OutboundGuard guard = guard(List.of(), List.of());
    assertRefused(guard, "http://169.254.169.254/latest/meta-data/", "UrlRefused", "link-local");
    assertRefused(guard, "http://sneaky.example.com/", "UrlRefused", "resolves to 169.254.169.254");
    assertRefused(guard, "http://[fe80::1]/", "UrlRefused", "link-local");
    assertRefused(guard, "http://[fd00:ec2::254]/latest/", "UrlRefused", "cloud metadata");
    assertRefused(guard, "http://[fd00:ec2::23]/v1/credentials", "UrlRefused", "cloud metadata");
    assertRefused(guard, "http://[::ffff:169.254.169.254]/", "UrlRefused", "link-local");
    assertRefused(guard, "http://0.0.0.0/", "UrlRefused", "link-local");
  }

  @Test
  void appliesTheDenyAndAllowLists() throws OutboundRefused {
    OutboundGuard deny = guard(List.of(), List.of("*.internal.example"));
    assertRefused(deny, "http://mirror.internal.example/a", "UrlRefused", "deny list");
    assertRefused(deny, "http://mirror.internal.example./a", "UrlRefused", "deny list");
    assertThat(deny.check("https://artifacts.example.com/a")).isNotNull();

    OutboundGuard allow = guard(List.of("artifacts.example.com"), List.of());
    assertThat(allow.check("https://artifacts.example.com/a")).isNotNull();
    assertRefused(
        allow, "http://localhost/a", "UrlRefused", "not on the operator's outbound allow list");
  }

  @Test
  void explainsBrokenUrls() {
    OutboundGuard guard = guard(List.of(), List.of());
    assertRefused(
        guard,
        "http://exa mple.com/?token=s3cret",
        "InvalidUrl",
        "the URL is not valid: Illegal character");
    assertThatThrownBy(() -> guard.check("http://exa mple.com/?token=s3cret"))
        .message()
        .doesNotContain("s3cret");
    assertRefused(guard, "http:///path-only", "InvalidUrl", "has no host");
  }

  private static OutboundGuard operatorGuard(List<String> allow, boolean denyPrivate) {
    Map<String, String> dns =
        Map.of(
            "artifacts.example.com", "93.184.216.34",
            "mirror.internal.example", "10.1.2.3",
            "localhost", "127.0.0.1",
            "kubernetes.default.svc", "10.96.0.1");
    return new OutboundGuard(
        new OutboundGuard.Policy(allow, List.of(), false, denyPrivate, List.of("10.96.0.1")),
        host -> List.of(InetAddress.getByName(dns.getOrDefault(host, host))));
  }

  @Test
  void theOperatorRefusesLoopbackAndTheApiServerUnlessAllowListed() throws OutboundRefused {
    OutboundGuard guard = operatorGuard(List.of(), false);
    assertRefused(guard, "http://127.0.0.1:8080/x", "UrlRefused", "loopback");
    assertRefused(guard, "http://localhost/x", "UrlRefused", "allow-hosts");
    assertRefused(guard, "http://[::1]/x", "UrlRefused", "loopback");
    assertRefused(guard, "https://kubernetes.default.svc/api", "UrlRefused", "API server");
    assertRefused(guard, "https://10.96.0.1/api", "UrlRefused", "API server");
    assertThat(guard.check("https://mirror.internal.example/a")).isNotNull(); // private: allowed

    OutboundGuard allowed = operatorGuard(List.of("127.0.0.1"), false);
    assertThat(allowed.check("http://127.0.0.1:8089/ledger/1.json")).isNotNull();
  }

  @Test
  void privateNetworksAreRefusedOnlyWhenConfigured() throws OutboundRefused {
    OutboundGuard guard = operatorGuard(List.of(), true);
    assertRefused(guard, "https://mirror.internal.example/a", "UrlRefused", "private");
    assertRefused(guard, "http://192.168.1.10/a", "UrlRefused", "private");
    assertRefused(guard, "http://172.16.0.5/a", "UrlRefused", "private");
    assertRefused(guard, "http://[fd12:3456::1]/a", "UrlRefused", "private");
    assertThat(guard.check("https://artifacts.example.com/a.tar.gz")).isNotNull();
  }
}
