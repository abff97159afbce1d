package dev.buildserver.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The AWS emulator under {@code mvn -Plocalstack}: one LocalStack container (S3 and EC2) for the
 * test run, started by {@link MotoServer#get()} when {@code buildserver.aws.emulator=localstack}.
 * This source directory is compiled only under that profile, so Testcontainers is never on the
 * default build's class path.
 *
 * <p>The image is pinned in hack/versions.env ({@code LOCALSTACK_IMAGE}): 4.14.0 is the last
 * LocalStack image that starts without an auth token.
 *
 * <p>Reset: the community image has no state-reset endpoint ({@code POST /_localstack/state/reset}
 * belongs to LocalStack's persistence feature, not served by 4.14.0), so a reset restarts the
 * LocalStack process inside the running container ({@code POST /_localstack/health
 * {"action":"restart"}}), which drops all in-memory state, and waits until a new process (a new
 * {@code session_id} in {@code /_localstack/info}) has finished starting ({@code
 * /_localstack/init/ready}). The container, its port and its endpoint stay the same.
 */
public final class LocalStackEmulator implements MotoServer.Emulator {

  private static final Duration RESTART_LIMIT = Duration.ofSeconds(90);
  private static final Pattern SESSION = Pattern.compile("\"session_id\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern READY = Pattern.compile("\"completed\"\\s*:\\s*true");

  private final LocalStackContainer container;
  private final URI endpoint;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public LocalStackEmulator() {
    container =
        new LocalStackContainer(DockerImageName.parse(RepoFiles.pinned("LOCALSTACK_IMAGE")))
            .withServices("s3", "ec2");
    container.start();
    endpoint = container.getEndpoint();
  }

  @Override
  public URI endpoint() {
    return endpoint;
  }

  @Override
  public void reset() {
    String before = sessionId();
    int status = send(post("/_localstack/health", "{\"action\":\"restart\"}")).statusCode();
    if (status != 200) {
      throw new IllegalStateException("LocalStack restart answered " + status);
    }
    Instant deadline = Instant.now().plus(RESTART_LIMIT);
    while (Instant.now().isBefore(deadline)) {
      try {
        String now = sessionIdOrNull();
        if (now != null && !now.equals(before) && ready()) {
          return;
        }
      } catch (IOException e) {
        // the old process is gone and the new one does not listen yet
      }
      MotoServer.sleep(250);
    }
    saveLog();
    throw new IllegalStateException(
        "LocalStack did not come back within "
            + RESTART_LIMIT
            + " of a restart; see operator/target/localstack.log");
  }

  @Override
  public void stop() {
    saveLog();
    container.stop();
  }

  private String sessionId() {
    try {
      String id = sessionIdOrNull();
      if (id == null) {
        throw new IllegalStateException("LocalStack's /_localstack/info has no session_id");
      }
      return id;
    } catch (IOException e) {
      throw new IllegalStateException("LocalStack does not answer at " + endpoint, e);
    }
  }

  private String sessionIdOrNull() throws IOException {
    Matcher m = SESSION.matcher(get("/_localstack/info"));
    return m.find() ? m.group(1) : null;
  }

  private boolean ready() throws IOException {
    return READY.matcher(get("/_localstack/init/ready")).find();
  }

  private String get(String path) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest post(String path, String json) {
    return HttpRequest.newBuilder(endpoint.resolve(path))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
  }

  private HttpResponse<Void> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new IllegalStateException("LocalStack does not answer at " + endpoint, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The container's output, for the CI job's artifact (operator/target/*.log). */
  private void saveLog() {
    try {
      Path log = RepoFiles.repo().resolve("operator/target/localstack.log");
      Files.createDirectories(log.getParent());
      Files.writeString(log, container.getLogs());
    } catch (IOException | RuntimeException e) {
      // the log is a help, not a result
    }
  }
}
