package dev.buildserver.chaos;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.RepoFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * toxiproxy-server (built by hack/toxiproxy.sh from the Go module proxy) on 127.0.0.1, driven
 * through its REST API: TCP proxies in front of moto and the ledgers, and toxics (latency, reset,
 * timeout, bandwidth) added and removed while the operator works.
 */
final class Toxiproxy implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final URI api;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Toxiproxy(Process process, URI api) {
    this.process = process;
    this.api = api;
  }

  static Toxiproxy start(Path log) {
    Path binary = binary();
    int port = BuilderProcess.freePort();
    try {
      Process process =
          new ProcessBuilder(
                  binary.toString(), "-host", "127.0.0.1", "-port", Integer.toString(port))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      Toxiproxy toxiproxy = new Toxiproxy(process, URI.create("http://127.0.0.1:" + port));
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .failFast("toxiproxy-server exited; see " + log, () -> !process.isAlive())
            .ignoreExceptions()
            .until(() -> toxiproxy.send("GET", "/version", null) == 200);
      } catch (RuntimeException | AssertionError e) {
        process.destroyForcibly();
        throw e;
      }
      return toxiproxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The binary hack/toxiproxy.sh builds once and caches; a loud failure when it cannot. */
  private static Path binary() {
    try {
      Process script =
          new ProcessBuilder("hack/toxiproxy.sh")
              .directory(RepoFiles.repo().toFile())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!script.waitFor(5, TimeUnit.MINUTES) || script.exitValue() != 0) {
        throw RepoFiles.missingTool(
            "toxiproxy-server v" + RepoFiles.pinned("TOXIPROXY_VERSION"), "run hack/toxiproxy.sh");
      }
      return Path.of(out.trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A proxy listening on a free loopback port in front of 127.0.0.1:{@code upstream}. */
  int proxy(String name, int upstream) {
    int listen = BuilderProcess.freePort();
    expect(
        201,
        "POST",
        "/proxies",
        Map.of(
            "name",
            name,
            "listen",
            "127.0.0.1:" + listen,
            "upstream",
            "127.0.0.1:" + upstream,
            "enabled",
            true));
    return listen;
  }

  /**
   * Adds a toxic of {@code type} to a proxy (downstream: on the answers), on {@code toxicity} of
   * the connections.
   */
  void addToxic(
      String proxy, String name, String type, double toxicity, Map<String, Object> attributes) {
    expect(
        200,
        "POST",
        "/proxies/" + proxy + "/toxics",
        Map.of(
            "name",
            name,
            "type",
            type,
            "stream",
            "downstream",
            "toxicity",
            toxicity,
            "attributes",
            attributes));
  }

  void removeToxic(String proxy, String name) {
    expect(204, "DELETE", "/proxies/" + proxy + "/toxics/" + name, null);
  }

  /** Removes the toxic if it is there; false when toxiproxy did not answer 204 or 404. */
  boolean clearToxic(String proxy, String name) {
    try {
      int answer = send("DELETE", "/proxies/" + proxy + "/toxics/" + name, null);
      return answer == 204 || answer == 404;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void expect(int status, String method, String path, Object body) {
    int answer = send(method, path, body);
    if (answer != status) {
      throw new IllegalStateException(
          "toxiproxy " + method + " " + path + " answered " + answer + ", not " + status);
    }
  }

  private int send(String method, String path, Object body) {
    try {
      HttpRequest.BodyPublisher publisher =
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
      HttpRequest request =
          HttpRequest.newBuilder(api.resolve(path))
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .method(method, publisher)
              .build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
  }
}
