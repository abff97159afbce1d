package dev.buildserver.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.api.ApiAccessCheck.Call;
import dev.buildserver.api.ApiAccessCheck.Refusal;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ApiAccessCheckTest {

  private static final String TOKEN = "s3cr3t-token";
  private static final String BEARER = "Bearer " + TOKEN;
  private static final String PUT = "/buildserver/put-asset?bucket=b&key=k";
  private static final String LIST = "/buildserver/assets?bucket=b";

  private final ApiAccessCheck onLoopback = new ApiAccessCheck(TOKEN::equals, true);
  private final ApiAccessCheck beyondLoopback = new ApiAccessCheck(TOKEN::equals, false);

  // --- what passes

  @Test
  void aTerminalCallWithTheTokenPasses() {
    assertThat(onLoopback.check(get("127.0.0.1:8080", null, BEARER))).isEmpty();
    assertThat(onLoopback.check(post("127.0.0.1:8080", null, "application/octet-stream", BEARER)))
        .isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1:8080",
        "127.0.0.1",
        "127.1.2.3:8080",
        "localhost:8080",
        "LocalHost",
        "localhost.:8080",
        "[::1]:8080",
        "[0:0:0:0:0:0:0:1]"
      })
  void everyLoopbackNameOrAddressPassesOnALoopbackServer(String host) {
    assertThat(onLoopback.check(get(host, null, BEARER))).isEmpty();
  }

  @Test
  void anyHostPassesOnAServerThatListensBeyondLoopback() {
    assertThat(beyondLoopback.check(get("buildserver.example.com:8080", null, BEARER))).isEmpty();
    assertThat(beyondLoopback.check(get("10.0.0.7", null, BEARER))).isEmpty();
  }

  @Test
  void theServersOwnOriginPasses() {
    assertThat(onLoopback.check(get("127.0.0.1:8080", "http://127.0.0.1:8080", BEARER))).isEmpty();
    assertThat(onLoopback.check(get("localhost:8080", "http://LOCALHOST:8080", BEARER))).isEmpty();
    assertThat(onLoopback.check(get("[::1]:8080", "http://[::1]:8080", BEARER))).isEmpty();
    assertThat(onLoopback.check(get("127.0.0.1", "http://127.0.0.1:80", BEARER))).isEmpty();
    var overTls =
        new Call(
            "GET", LIST, "build.example.com", "https://build.example.com", null, BEARER, true, 443);
    assertThat(beyondLoopback.check(overTls)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/octet-stream",
        "application/json",
        "application/json; charset=utf-8",
        "text/markdown",
        "application/gzip",
        "image/png",
        "text/plain-but-not-really"
      })
  void aWriteWithAContentTypeNoFormCanSendPasses(String contentType) {
    assertThat(onLoopback.check(post("127.0.0.1:8080", null, contentType, BEARER))).isEmpty();
  }

  @Test
  void aReadMayCarryAnyContentTypeOrNone() {
    assertThat(onLoopback.check(call("GET", LIST, "127.0.0.1:8080", null, "text/plain", BEARER)))
        .isEmpty();
    assertThat(onLoopback.check(get("127.0.0.1:8080", null, BEARER))).isEmpty();
  }

  // --- 403: DNS rebinding and other sites

  @Test
  void theRebindingWriteIsForbiddenWithAMessageThatSaysWhatToDo() {
    Refusal refusal =
        refused(
            onLoopback.check(
                call(
                    "POST",
                    PUT,
                    "evil.example:8080",
                    "http://evil.example:8080",
                    "text/plain",
                    null)));
    assertThat(refusal.status()).isEqualTo(403);
    assertThat(refusal.reason()).isEqualTo("Forbidden");
    assertThat(refusal.message())
        .contains("\"evil.example:8080\"")
        .contains("loopback only")
        .contains("http://127.0.0.1:8080")
        .contains("from a terminal");
  }

  @Test
  void theRebindingReadIsForbiddenEvenWithTheToken() {
    Refusal refusal = refused(onLoopback.check(get("evil.example:8080", null, BEARER)));
    assertThat(refusal.status()).isEqualTo(403);
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "evil-localhost",
        "0177.0.0.1",
        "127.0.0.256",
        "127.0.0",
        "0.0.0.0:8080",
        "10.0.0.7:8080",
        "[::2]:8080",
        "[::]:8080",
        "::1",
        "[::1]x",
        "[::1",
        "127.0.0.1:80:80",
        "127.0.0.1:",
        "127.0.0.1:99999",
        "user@127.0.0.1",
        "127.0.0.1, evil.example"
      })
  void aHostThatIsNotLoopbackIsForbiddenOnALoopbackServer(String host) {
    Refusal refusal = refused(onLoopback.check(get(host, null, BEARER)));
    assertThat(refusal.status()).isEqualTo(403);
    assertThat(refusal.reason()).isEqualTo("Forbidden");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://evil.example",
        "http://evil.example:8080",
        "null",
        "http://127.0.0.1:9999",
        "https://127.0.0.1:8080",
        "http://localhost:8080",
        "http://127.0.0.1:8080/page",
        "http://user@127.0.0.1:8080",
        "127.0.0.1:8080",
        "",
        "http://127.0.0.1:8080, http://evil.example"
      })
  void anOriginThatIsNotTheServersOwnIsForbiddenEvenWithTheToken(String origin) {
    Refusal refusal = refused(onLoopback.check(get("127.0.0.1:8080", origin, BEARER)));
    assertThat(refusal.status()).isEqualTo(403);
    assertThat(refusal.message()).contains("not this server's own origin");
  }

  @Test
  void aCrossSiteCallIsForbiddenOnAServerBeyondLoopbackToo() {
    Refusal refusal =
        refused(
            beyondLoopback.check(
                call(
                    "POST", PUT, "build.example.com", "https://evil.example", "text/plain", null)));
    assertThat(refusal.status()).isEqualTo(403);
  }

  @Test
  void aCrossSiteCallIsForbiddenBeforeItsTokenIsLookedAt() {
    assertThat(
            refused(onLoopback.check(get("127.0.0.1:8080", "http://evil.example", null))).status())
        .isEqualTo(403);
  }

  // --- 401: the token

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "Bearer ",
        "Bearer wrong",
        "Bearer s3cr3t-tokenx",
        "s3cr3t-token",
        "bearer-s3cr3t-token",
        "Basic czNjcjN0LXRva2Vu"
      })
  void aCallWithoutTheRightBearerTokenIsUnauthorized(String authorization) {
    for (Call call :
        List.of(
            get("127.0.0.1:8080", null, authorization),
            post("127.0.0.1:8080", null, "application/octet-stream", authorization))) {
      Refusal refusal = refused(onLoopback.check(call));
      assertThat(refusal.status()).isEqualTo(401);
      assertThat(refusal.reason()).isEqualTo("Unauthorized");
      assertThat(refusal.message()).contains("bearer token").doesNotContain(TOKEN);
    }
  }

  @Test
  void theTokenIsNeededOnLoopbackToo() {
    assertThat(refused(onLoopback.check(get("127.0.0.1:8080", null, null))).status())
        .isEqualTo(401);
    assertThat(refused(beyondLoopback.check(get("127.0.0.1:8080", null, null))).status())
        .isEqualTo(401);
  }

  // --- 415: what a form can send

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        " ",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=----x",
        "text/plain",
        "text/plain;charset=UTF-8",
        "TEXT/PLAIN",
        " text/plain ; charset=utf-8"
      })
  void aWriteWithAFormContentTypeOrNoneIsUnsupported(String contentType) {
    Refusal refusal = refused(onLoopback.check(post("127.0.0.1:8080", null, contentType, BEARER)));
    assertThat(refusal.status()).isEqualTo(415);
    assertThat(refusal.reason()).isEqualTo("UnsupportedMediaType");
    assertThat(refusal.message())
        .contains("Content-Type: application/octet-stream")
        .contains("contentType query parameter");
  }

  // --- what a message repeats

  @Test
  void aMessageRepeatsAtMost120CharactersOfAHeaderAndNoControlCharacters() {
    String host = "evil\r\nX-Forged: 1\u001b[31m\u202e" + "a".repeat(500) + "TAIL";
    Refusal refusal = refused(onLoopback.check(get(host, null, BEARER)));
    assertThat(refusal.message())
        .doesNotContain("\r")
        .doesNotContain("\n")
        .doesNotContain("\u001b")
        .doesNotContain("\u202e")
        .doesNotContain("TAIL")
        .contains("\"evilX-Forged: 1[31m" + "a".repeat(120 - 19) + "…\" (cut)");
    String origin = "http://" + "o".repeat(300);
    Refusal byOrigin = refused(onLoopback.check(get("127.0.0.1:8080", origin, BEARER)));
    assertThat(byOrigin.message()).doesNotContain("o".repeat(114)).contains("o".repeat(113));
    Refusal byType =
        refused(
            onLoopback.check(
                post("127.0.0.1:8080", null, "text/plain;" + "x".repeat(300), BEARER)));
    assertThat(byType.message()).doesNotContain("x".repeat(110));
  }

  @Test
  void echoKeepsAShortValueWhole() {
    assertThat(ApiAccessCheck.echo("evil.example:8080")).isEqualTo("\"evil.example:8080\"");
    assertThat(ApiAccessCheck.echo("x".repeat(120))).isEqualTo("\"" + "x".repeat(120) + "\"");
  }

  // --- helpers

  private static Refusal refused(Optional<Refusal> refusal) {
    assertThat(refusal).as("a refusal").isPresent();
    return refusal.get();
  }

  private static Call get(String host, String origin, String authorization) {
    return call("GET", LIST, host, origin, null, authorization);
  }

  private static Call post(String host, String origin, String contentType, String authorization) {
    return call("POST", PUT, host, origin, contentType, authorization);
  }

  /** A call over plain HTTP that reached port 8080. */
  private static Call call(
      String method,
      String path,
      String host,
      String origin,
      String contentType,
      String authorization) {
    return new Call(method, path, host, origin, contentType, authorization, false, 8080);
  }
}
