package dev.buildserver.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** OutboundHttp against two servers on 127.0.0.1 (two origins: two ports). */
class OutboundHttpTest {

  private HttpServer origin;
  private HttpServer other;
  private final List<String> authSeenByOther = new CopyOnWriteArrayList<>();
  private final List<String> authSeenByOrigin = new CopyOnWriteArrayList<>();
  private OutboundHttp http;

  @BeforeEach
  void start() throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    other = server();
    other.createContext(
        "/target",
        e -> {
          authSeenByOther.add(String.valueOf(e.getRequestHeaders().getFirst("Authorization")));
          respond(e, 200, "elsewhere");
        });
    origin = server();
    origin.createContext(
        "/same",
        e -> {
          e.getResponseHeaders().add("Location", "/final");
          respond(e, 302, "");
        });
    origin.createContext(
        "/final",
        e -> {
          authSeenByOrigin.add(String.valueOf(e.getRequestHeaders().getFirst("Authorization")));
          respond(e, 200, "here");
        });
    origin.createContext(
        "/away",
        e -> {
          e.getResponseHeaders()
              .add("Location", "http://127.0.0.1:" + other.getAddress().getPort() + "/target");
          respond(e, 302, "");
        });
    origin.createContext(
        "/stall",
        e -> {
          e.sendResponseHeaders(200, 1000);
          OutputStream out = e.getResponseBody();
          out.write(new byte[10]);
          out.flush();
          sleep(3000);
          e.close();
        });
    origin.createContext(
        "/big",
        e -> {
          e.sendResponseHeaders(200, 0); // chunked: no Content-Length to refuse up front
          try (OutputStream out = e.getResponseBody()) {
            out.write(new byte[4096]);
          }
        });
    origin.createContext(
        "/steady",
        e -> {
          e.sendResponseHeaders(200, 900);
          try (OutputStream out = e.getResponseBody()) {
            out.write(new byte[900]);
          }
        });
    origin.createContext(
        "/drip",
        e -> {
          e.sendResponseHeaders(200, 40);
          OutputStream out = e.getResponseBody();
          for (int i = 0; i < 40; i++) {
            out.write('x');
            out.flush();
            sleep(250); // each byte well within the idle timeout
          }
          e.close();
        });
    origin.start();
    other.start();
    OutboundSettings settings = new OutboundSettings();
    settings.setReadTimeout(Duration.ofMillis(500));
    settings.setMaxBytes(1024);
    settings.setAllowLoopback(true);
    settings.setAllowHosts(List.of("127.0.0.1")); // plain http may carry credentials here
    settings.setTotalTimeout(Duration.ofSeconds(2));
    http = new OutboundHttp(settings);
  }

  @AfterEach
  void stop() {
    origin.stop(0);
    other.stop(0);
  }

  @Test
  void keepsCredentialsOnSameOriginRedirectsOnly() throws Exception {
    Map<String, String> auth = Map.of("Authorization", "Bearer s3cret");
    try (InputStream in = http.get(url(origin, "/same"), auth).body()) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("here");
    }
    assertThat(authSeenByOrigin).containsExactly("Bearer s3cret");

    try (InputStream in = http.get(url(origin, "/away"), auth).body()) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("elsewhere");
    }
    assertThat(authSeenByOther).containsExactly("null");
  }

  @Test
  void failsABodyThatStallsInsteadOfWaitingForever() throws Exception {
    long start = System.nanoTime();
    try (InputStream in = http.get(url(origin, "/stall"), Map.of()).body()) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("no data from");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void reportsUrlsWithoutUserInfo() {
    String url = url(origin, "/missing").replace("http://", "http://deploy:pa55word@");
    assertThatThrownBy(() -> http.get(url, Map.of()))
        .isInstanceOf(HttpStatusException.class)
        .message()
        .contains("answered HTTP 404")
        .doesNotContain("pa55word")
        .doesNotContain("deploy");
  }

  @Test
  void aReaderThatPausesIsNotTakenForAStalledServer() throws Exception {
    try (InputStream in = http.get(url(origin, "/steady"), Map.of()).body()) {
      assertThat(in.read()).isZero();
      sleep(1200); // over two idle timeouts of our own silence, e.g. waiting for an upload slot
      assertThat(in.readAllBytes()).hasSize(899);
    }
  }

  @Test
  void cutsOffAServerThatDripsBytesPastTheDeadline() throws Exception {
    long start = System.nanoTime();
    try (InputStream in = http.get(url(origin, "/drip"), Map.of()).body()) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("did not finish within");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void refusesAHeaderValueTheClientRejectsWithoutEchoingIt() {
    assertThatThrownBy(
            () ->
                http.get(url(origin, "/final"), Map.of("Authorization", "Bearer a\nb-Kx19secret")))
        .isInstanceOf(OutboundRefused.class)
        .message()
        .doesNotContain("Kx19");
    assertThat(authSeenByOrigin).isEmpty();
  }

  @Test
  void sendsCredentialsOverPlainHttpOnlyToAllowListedHosts() {
    OutboundSettings open = new OutboundSettings();
    open.setAllowLoopback(true);
    OutboundHttp strict = new OutboundHttp(open);
    assertThatThrownBy(
            () -> strict.get(url(origin, "/final"), Map.of("Authorization", "Bearer s3cret")))
        .isInstanceOf(OutboundRefused.class)
        .hasMessageContaining("https")
        .satisfies(e -> assertThat(((OutboundRefused) e).reason()).isEqualTo("InsecureToken"));
    assertThat(authSeenByOrigin).isEmpty();
  }

  @Test
  void failsABodyPastTheCap() throws Exception {
    try (InputStream in = http.get(url(origin, "/big"), Map.of()).body()) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(OutboundHttp.BodyTooLargeException.class)
          .hasMessageContaining("larger than the outbound limit of 1024 bytes");
    }
  }

  @Test
  void reportsStatusesWithoutTheQueryString() {
    assertThatThrownBy(() -> http.get(url(origin, "/missing?token=s3cret"), Map.of()))
        .isInstanceOf(HttpStatusException.class)
        .hasMessageContaining("answered HTTP 404")
        .message()
        .doesNotContain("s3cret");
  }

  private static HttpServer server() throws IOException {
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
  }

  private static String url(HttpServer server, String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private static void respond(com.sun.net.httpserver.HttpExchange e, int status, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    e.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      e.getResponseBody().write(bytes);
    }
    e.close();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
