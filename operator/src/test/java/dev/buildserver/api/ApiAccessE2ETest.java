package dev.buildserver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The HTTP API as {@code make run} serves it: on loopback only, with no token configured. A web
 * page that reaches it by DNS rebinding, or from another site, gets 403 and writes nothing; a write
 * a form could send is 415; a call without the token the operator wrote to its file is 401.
 * Requests go over plain sockets, since the JDK client will not send a foreign Host header.
 */
class ApiAccessE2ETest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  @TempDir static Path home;

  private static Path tokenFile;
  private static LogCapture log;
  private static InProcessOperator operator;
  private static S3Client s3;
  private static int port;
  private static String token;

  @BeforeAll
  static void startWithoutAConfiguredToken() throws IOException {
    tokenFile = home.resolve("runtime").resolve("api-token");
    log = LogCapture.attach();
    operator =
        InProcessOperator.start(
            List.of(),
            Map.of(
                "buildserver.api.token", "",
                "buildserver.api.token-file", tokenFile.toString(),
                "micronaut.server.host", "127.0.0.1"),
            KubeApi.get().newNamespace("api-access"));
    s3 = operator.s3();
    port = operator.url().getPort();
    token = Files.readString(tokenFile, StandardCharsets.US_ASCII).strip();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (log != null) {
      log.close();
    }
  }

  @Test
  void anOperatorWithoutAConfiguredTokenWritesOneToAFileOnlyTheUserCanReadAndAcceptsIt()
      throws Exception {
    assertThat(token).matches("[0-9a-f]{64}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile.getParent())))
        .isEqualTo("rwx------");
    assertThat(log.text()).contains(tokenFile.toString()).doesNotContain(token);

    String bucket = bucket();
    Answer created =
        send(
            "POST",
            "/buildserver/put-asset?bucket=" + bucket + "&key=ok.txt&contentType=text/plain",
            headers(
                "Host",
                loopback(),
                "Origin",
                "http://" + loopback(),
                "Authorization",
                "Bearer " + token,
                "Content-Type",
                "application/octet-stream"),
            "from a terminal");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(read(bucket, "ok.txt")).isEqualTo("from a terminal");
    assertThat(s3.headObject(b -> b.bucket(bucket).key("ok.txt")).contentType())
        .isEqualTo("text/plain");
  }

  @Test
  void theTwoRebindingRequestsAreRefusedAndWriteNothing() throws Exception {
    String bucket = bucket();
    s3.putObject(b -> b.bucket(bucket).key("private-report.txt"), body("private"));
    String rebound = "evil.example:" + port;

    Answer write =
        send(
            "POST",
            "/buildserver/put-asset?bucket=" + bucket + "&key=rebound.txt",
            headers("Host", rebound, "Origin", "http://" + rebound, "Content-Type", "text/plain"),
            "written by a web page");
    assertRefused(write, 403, "Forbidden");
    assertThat(error(write))
        .contains("\"" + rebound + "\"")
        .contains("http://127.0.0.1:" + port)
        .contains("not a web page");

    Answer list =
        send("GET", "/buildserver/assets?bucket=" + bucket, headers("Host", rebound), null);
    assertRefused(list, 403, "Forbidden");
    assertThat(list.body()).doesNotContain("private-report");

    // The Host alone is enough: with the token and a body type no form can send, still refused.
    Answer withToken =
        send(
            "POST",
            "/buildserver/put-asset?bucket=" + bucket + "&key=rebound.txt",
            headers(
                "Host",
                rebound,
                "Authorization",
                "Bearer " + token,
                "Content-Type",
                "application/octet-stream"),
            "written by a web page");
    assertRefused(withToken, 403, "Forbidden");

    assertAbsent(bucket, "rebound.txt");
    assertThat(keys(bucket)).containsExactly("private-report.txt");
  }

  @Test
  void aCrossSitePostStaysRefused() throws Exception {
    String bucket = bucket();
    for (String authorization : Arrays.asList(null, "Bearer " + token)) {
      Map<String, String> headers =
          headers(
              "Host", loopback(), "Origin", "http://evil.example", "Content-Type", "text/plain");
      if (authorization != null) {
        headers.put("Authorization", authorization);
      }
      Answer answer =
          send(
              "POST",
              "/buildserver/put-asset?bucket=" + bucket + "&key=cross-site.txt",
              headers,
              "from another site");
      assertRefused(answer, 403, "Forbidden");
      assertThat(error(answer)).contains("\"http://evil.example\"").contains("own origin");
    }
    Answer fromNull =
        send(
            "GET",
            "/buildserver/assets?bucket=" + bucket,
            headers("Host", loopback(), "Origin", "null", "Authorization", "Bearer " + token),
            null);
    assertRefused(fromNull, 403, "Forbidden");
    assertAbsent(bucket, "cross-site.txt");
  }

  @Test
  void aWriteWithAContentTypeAFormCanSendOrNoneIsUnsupported() throws Exception {
    String bucket = bucket();
    for (String contentType :
        Arrays.asList(
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "text/plain;charset=UTF-8",
            null)) {
      Map<String, String> headers = headers("Host", loopback(), "Authorization", "Bearer " + token);
      if (contentType != null) {
        headers.put("Content-Type", contentType);
      }
      Answer answer =
          send("POST", "/buildserver/put-asset?bucket=" + bucket + "&key=form.txt", headers, "a=b");
      assertRefused(answer, 415, "UnsupportedMediaType");
      assertThat(error(answer))
          .contains("Content-Type: application/octet-stream")
          .contains("contentType query parameter");
    }
    assertAbsent(bucket, "form.txt");
  }

  @Test
  void aCallWithoutTheTokenIsUnauthorizedOnLoopbackToo() throws Exception {
    String bucket = bucket();
    Answer write =
        send(
            "POST",
            "/buildserver/put-asset?bucket=" + bucket + "&key=anonymous.txt",
            headers("Host", loopback(), "Content-Type", "application/octet-stream"),
            "anonymous");
    assertRefused(write, 401, "Unauthorized");
    assertThat(write.headers()).contains("www-authenticate: bearer");
    Answer read =
        send(
            "GET",
            "/buildserver/assets?bucket=" + bucket,
            headers("Host", "localhost:" + port, "Authorization", "Bearer not-" + token),
            null);
    assertRefused(read, 401, "Unauthorized");
    assertAbsent(bucket, "anonymous.txt");
  }

  // --- helpers

  /** One HTTP answer: status, the header block in lower case, the body. */
  private record Answer(int status, String headers, String body) {}

  private static Answer send(String method, String path, Map<String, String> headers, String body)
      throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("Content-Length: ").append(content.length).append("\r\n");
    head.append("Connection: close\r\n\r\n");
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
      out.write(content);
      out.flush();
      byte[] answer = socket.getInputStream().readAllBytes();
      int end = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
      String header = new String(answer, 0, end, StandardCharsets.US_ASCII);
      byte[] rest = Arrays.copyOfRange(answer, end + 4, answer.length);
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.contains("transfer-encoding: chunked")) {
        rest = dechunk(rest);
      }
      return new Answer(
          Integer.parseInt(header.substring(9, 12)),
          lower,
          new String(rest, StandardCharsets.UTF_8));
    }
  }

  private static byte[] dechunk(byte[] chunked) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
    int at = 0;
    while (true) {
      int eol = indexOf(chunked, crlf, at);
      String size = new String(chunked, at, eol - at, StandardCharsets.US_ASCII).split(";")[0];
      int length = Integer.parseInt(size.strip(), 16);
      if (length == 0) {
        return out.toByteArray();
      }
      out.write(chunked, eol + 2, length);
      at = eol + 2 + length + 2;
    }
  }

  private static int indexOf(byte[] data, byte[] part, int from) {
    for (int i = from; i <= data.length - part.length; i++) {
      if (Arrays.equals(data, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new AssertionError("no " + Arrays.toString(part) + " in the answer");
  }

  private static Map<String, String> headers(String... namesAndValues) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return headers;
  }

  private static String loopback() {
    return "127.0.0.1:" + port;
  }

  private static void assertRefused(Answer answer, int status, String reason) throws IOException {
    assertThat(answer.status()).as(answer.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(answer.body());
    assertThat(body.path("reason").asText()).as(answer.body()).isEqualTo(reason);
    assertThat(body.path("error").asText()).as(answer.body()).isNotBlank();
  }

  private static String error(Answer answer) throws IOException {
    return JSON.readTree(answer.body()).path("error").asText();
  }

  private static void assertAbsent(String bucket, String key) {
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(bucket).key(key)))
        .as("s3://%s/%s", bucket, key)
        .isInstanceOf(NoSuchKeyException.class);
  }

  private static List<String> keys(String bucket) {
    return s3.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).toList();
  }

  private static String read(String bucket, String key) {
    return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
  }

  private static software.amazon.awssdk.core.sync.RequestBody body(String text) {
    return software.amazon.awssdk.core.sync.RequestBody.fromString(text);
  }

  private static String bucket() {
    String bucket = "api-access-" + BUCKETS.incrementAndGet();
    s3.createBucket(b -> b.bucket(bucket));
    return bucket;
  }
}
