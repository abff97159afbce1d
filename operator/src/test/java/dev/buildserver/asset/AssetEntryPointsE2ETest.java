package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.s3.Fingerprint;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** The CLI and the HTTP API call the same ObjectStore as the reconciler. */
class AssetEntryPointsE2ETest {

  private static final AtomicInteger BUCKETS = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static InProcessOperator operator;
  private static String namespace;
  private static S3Client s3;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    namespace = KubeApi.get().newNamespace("entry-points");
    operator = InProcessOperator.start(namespace);
    s3 = operator.s3();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void cliPutsGetsAndListsAssets() throws IOException {
    String bucket = bucket();
    Path file = dir.resolve("app.tar.gz");
    Files.write(file, "pretend tarball".getBytes(StandardCharsets.UTF_8));

    var put =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "put-asset",
            "--bucket",
            bucket,
            "--key",
            "releases/app.tar.gz",
            "--file",
            file.toString(),
            "--create-bucket",
            "--content-type",
            "application/gzip");
    assertThat(put.exitCode()).as(put.stderr()).isZero();
    JsonNode result = JSON.readTree(put.stdout());
    assertThat(result.get("bucket").asText()).isEqualTo(bucket);
    assertThat(result.get("key").asText()).isEqualTo("releases/app.tar.gz");
    assertThat(result.get("location").asText())
        .isEqualTo("s3://" + bucket + "/releases/app.tar.gz");
    assertThat(result.get("size").asLong()).isEqualTo(15);
    assertThat(result.get("sha256").asText())
        .isEqualTo(Fingerprint.sha256Hex(Files.readAllBytes(file)));
    assertThat(result.get("contentType").asText()).isEqualTo("application/gzip");
    assertThat(result.get("etag").asText()).isNotBlank();
    assertThat(result.has("versionId")).isTrue();

    var stdin =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            "from stdin".getBytes(StandardCharsets.UTF_8),
            "put-asset",
            "--bucket",
            bucket,
            "--key",
            "stdin.txt",
            "--stdin");
    assertThat(stdin.exitCode()).as(stdin.stderr()).isZero();

    Path copy = dir.resolve("copy");
    var get =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "get-asset",
            "--bucket",
            bucket,
            "--key",
            "stdin.txt",
            "--file",
            copy.toString());
    assertThat(get.exitCode()).as(get.stderr()).isZero();
    assertThat(Files.readString(copy)).isEqualTo("from stdin");

    var list =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "list-assets",
            "--bucket",
            bucket,
            "--output",
            "json");
    assertThat(list.exitCode()).as(list.stderr()).isZero();
    assertThat(JSON.readTree(list.stdout()).findValuesAsText("key"))
        .containsExactly("releases/app.tar.gz", "stdin.txt");
    assertThat(JSON.readTree(list.stdout()).findValuesAsText("lastModified"))
        .allSatisfy(time -> assertThat(Instant.parse(time)).isBeforeOrEqualTo(Instant.now()));
  }

  @Test
  void cliErrorsAreOneLineOnStderrWithANonZeroExit() {
    var missingBucket =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            "x".getBytes(StandardCharsets.UTF_8),
            "put-asset",
            "--bucket",
            "no-such-bucket-here",
            "--key",
            "a",
            "--stdin");
    assertOneLineError(missingBucket, 1, "bucket no-such-bucket-here does not exist");
    // The CLI names its own flag, not the BuildAsset field the operator would name.
    assertThat(missingBucket.stderr()).contains("or set --create-bucket").doesNotContain("spec.");

    var badName =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "put-asset",
            "--bucket",
            "Bad_Bucket",
            "--key",
            "a",
            "--stdin");
    assertOneLineError(badName, 1, "not a valid S3 bucket name");

    var twoSources =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "put-asset",
            "--bucket",
            "b-b-b",
            "--key",
            "a",
            "--stdin",
            "--url",
            "http://127.0.0.1/x");
    assertOneLineError(twoSources, 2, "mutually exclusive");

    var linkLocal =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "put-asset",
            "--bucket",
            "b-b-b",
            "--key",
            "a",
            "--url",
            "http://169.254.169.254/latest/");
    assertOneLineError(linkLocal, 1, "link-local");
  }

  @Test
  void httpApiNeedsTheTokenAndAnswersJsonErrors() throws Exception {
    String bucket = bucket();
    var noToken =
        post(
            "/buildserver/put-asset?bucket=" + bucket + "&key=a.txt&createBucket=true", "hi", null);
    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(noToken.body()).get("error").asText()).contains("bearer token");

    var created =
        post(
            "/buildserver/put-asset?bucket=" + bucket + "&key=a.txt&createBucket=true",
            "hi",
            InProcessOperator.API_TOKEN);
    assertThat(created.statusCode()).isEqualTo(201);
    JsonNode body = JSON.readTree(created.body());
    assertThat(body.get("location").asText()).isEqualTo("s3://" + bucket + "/a.txt");
    assertThat(body.get("size").asLong()).isEqualTo(2);

    var missingKey =
        post("/buildserver/put-asset?bucket=" + bucket, "hi", InProcessOperator.API_TOKEN);
    assertThat(missingKey.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(missingKey.body()).get("error").asText()).contains("key is empty");

    var noBucket =
        post(
            "/buildserver/put-asset?bucket=absent-bucket-x&key=a",
            "hi",
            InProcessOperator.API_TOKEN);
    assertThat(noBucket.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(noBucket.body()).get("error").asText())
        .contains("does not exist")
        .contains("or set createBucket=true")
        .doesNotContain("spec.");

    var list =
        HTTP.send(
            HttpRequest.newBuilder(operator.url().resolve("/buildserver/assets?bucket=" + bucket))
                .header("Authorization", "Bearer " + InProcessOperator.API_TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(list.body()).findValuesAsText("key")).containsExactly("a.txt");
    assertThat(Instant.parse(JSON.readTree(list.body()).findValue("lastModified").asText()))
        .isBeforeOrEqualTo(Instant.now());
  }

  @Test
  void everyErrorUnderBuildserverIsJsonWithErrorAndReason() throws Exception {
    String token = InProcessOperator.API_TOKEN;
    assertJsonError(send("GET", "/buildserver/put-asset", token), 405, "MethodNotAllowed");
    assertJsonError(send("GET", "/buildserver/no-such-thing", token), 404, "NotFound");
    assertJsonError(send("GET", "/buildserver/assets?bucket=b-b-b", null), 401, "Unauthorized");
    assertJsonError(
        send("GET", "/buildserver/assets?bucket=b-b-b&limit=many", token), 400, "BadRequest");
    assertJsonError(send("GET", "/buildserver/assets?limit=5", token), 400, "InvalidBucketName");
    assertJsonError(oversizedPost(token), 413, "TooLarge");
  }

  private record Answer(int status, String body) {}

  private static Answer send(String method, String path, String token) throws Exception {
    var request =
        HttpRequest.newBuilder(operator.url().resolve(path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body());
  }

  /** A POST that announces more than max-request-size (5 GiB) and sends none of it. */
  private static Answer oversizedPost(String token) throws Exception {
    URI url = operator.url();
    try (var socket = new Socket(url.getHost(), url.getPort())) {
      socket.setSoTimeout(10_000);
      String head =
          "POST /buildserver/put-asset?bucket=b-b-b&key=k HTTP/1.1\r\n"
              + "Host: 127.0.0.1\r\nAuthorization: Bearer "
              + token
              + "\r\nContent-Type: application/octet-stream\r\n"
              + "Content-Length: 6000000000\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(answer.substring(9, 12));
      String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
      return new Answer(status, body);
    }
  }

  private static void assertJsonError(Answer answer, int status, String reason) throws IOException {
    assertThat(answer.status()).as(answer.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(answer.body());
    assertThat(body.path("reason").asText()).as(answer.body()).isEqualTo(reason);
    assertThat(body.path("error").asText()).as(answer.body()).isNotBlank();
    assertThat(body.has("_links")).as(answer.body()).isFalse();
  }

  @Test
  void cliHttpAndReconcilerWriteIdenticalObjects() throws Exception {
    String bucket = bucket();
    String content = "the same bytes from three entry points\n";
    s3.createBucket(b -> b.bucket(bucket));

    BuildAsset asset =
        Serialization.unmarshal(
            """
            apiVersion: buildserver.dev/v1alpha1
            kind: BuildAsset
            metadata: {name: identical}
            spec:
              bucket: %s
              key: by-operator.txt
              contentType: text/plain
              source:
                inline: "%s"
            """
                .formatted(bucket, content.replace("\n", "\\n")),
            BuildAsset.class);
    asset.getMetadata().setNamespace(namespace);
    KubeApi.get().client().resource(asset).create();

    Path file = dir.resolve("same.txt");
    Files.writeString(file, content);
    var cli =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "put-asset",
            "--bucket",
            bucket,
            "--key",
            "by-cli.txt",
            "--file",
            file.toString(),
            "--content-type",
            "text/plain");
    assertThat(cli.exitCode()).as(cli.stderr()).isZero();
    var http =
        post(
            "/buildserver/put-asset?bucket=" + bucket + "&key=by-http.txt&contentType=text/plain",
            content,
            InProcessOperator.API_TOKEN);
    assertThat(http.statusCode()).isEqualTo(201);

    BuildAsset ready =
        await()
            .atMost(KubeApi.WAIT)
            .until(
                () -> KubeApi.get().client().resource(asset).get(),
                a ->
                    Resources.condition(a, "Ready")
                        .map(c -> "Uploaded".equals(c.getReason()))
                        .orElse(false));

    JsonNode byCli = JSON.readTree(cli.stdout());
    JsonNode byHttp = JSON.readTree(http.body());
    BuildAssetStatus byOperator = ready.getStatus();
    for (JsonNode answer : new JsonNode[] {byCli, byHttp}) {
      assertThat(answer.get("etag").asText()).isEqualTo(byOperator.getEtag());
      assertThat(answer.get("size").asLong()).isEqualTo(byOperator.getSize());
      assertThat(answer.get("sha256").asText()).isEqualTo(byOperator.getSha256());
      assertThat(answer.get("contentType").asText()).isEqualTo(byOperator.getContentType());
    }
    var heads =
        java.util.stream.Stream.of("by-operator.txt", "by-cli.txt", "by-http.txt")
            .map(k -> s3.headObject(b -> b.bucket(bucket).key(k)))
            .toList();
    for (var head : heads) {
      assertThat(head.eTag()).isEqualTo(heads.get(0).eTag());
      assertThat(head.contentType()).isEqualTo("text/plain");
      assertThat(head.contentLength()).isEqualTo(content.length());
      assertThat(head.metadata()).containsEntry(ObjectOwner.SHA256, byOperator.getSha256());
    }
  }

  private static HttpResponse<String> post(String path, String body, String token)
      throws Exception {
    URI uri = operator.url().resolve(path);
    var request =
        HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertOneLineError(
      BuilderProcess.Result result, int exitCode, String message) {
    assertThat(result.exitCode()).as(result.stderr()).isEqualTo(exitCode);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr().strip())
        .startsWith("builder: ")
        .contains(message)
        .doesNotContain("\n");
  }

  private static String bucket() {
    return "entry-points-" + BUCKETS.incrementAndGet();
  }
}
