package dev.buildserver.chaos;

import static org.awaitility.Awaitility.await;

import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.RepoFiles;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The stack of {@code make stack} ({@code hack/local-stack.sh stack}): its own etcd,
 * kube-apiserver, moto (behind hack/moto-front.py) and CRDs, on free ports, with its state in
 * {@code target/chaos/<name>}. The API server can be restarted (SIGUSR1 to the script) and AWS
 * faults switched on.
 */
public final class LocalStack implements AutoCloseable {

  private final Process script;
  private final Path state;
  private final Path log;
  private final int motoPort;
  private final KubernetesClient client;
  private final HttpClient http = HttpClient.newHttpClient();

  private LocalStack(Process script, Path state, Path log, int motoPort) {
    this.script = script;
    this.state = state;
    this.log = log;
    this.motoPort = motoPort;
    this.client = clientFor(state.resolve("kubeconfig"));
  }

  public static LocalStack start(String name) {
    Path state = Path.of("target", "chaos", name).toAbsolutePath();
    int apiServer = BuilderProcess.freePort();
    int etcd = BuilderProcess.freePortPair();
    int moto = BuilderProcess.freePort();
    int ledger = BuilderProcess.freePort();
    Path log = state.resolveSibling(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder("hack/local-stack.sh", "stack")
            .directory(RepoFiles.repo().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder
        .environment()
        .putAll(
            Map.of(
                "STACK_DIR", state.toString(),
                "APISERVER_PORT", Integer.toString(apiServer),
                "ETCD_PORT", Integer.toString(etcd),
                "MOTO_PORT", Integer.toString(moto),
                "LEDGER_PORT", Integer.toString(ledger)));
    try {
      Files.createDirectories(state.getParent());
      Process script = builder.start();
      Path env = state.resolve("env");
      try {
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofMillis(500))
            .failFast("hack/local-stack.sh stack exited; see " + log, () -> !script.isAlive())
            .until(() -> Files.exists(env));
      } catch (RuntimeException | AssertionError e) {
        stop(script); // never leave a half-started stack behind
        throw e;
      }
      return new LocalStack(script, state, log, moto);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KubernetesClient clientFor(Path kubeconfig) {
    try {
      return new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path kubeconfig() {
    return state.resolve("kubeconfig");
  }

  public KubernetesClient client() {
    return client;
  }

  public int motoPort() {
    return motoPort;
  }

  public URI motoEndpoint() {
    return URI.create("http://127.0.0.1:" + motoPort);
  }

  /** Restarts kube-apiserver (etcd keeps the state) and waits until it is ready again. */
  public void restartApiServer() {
    long before = restarts();
    signal("-USR1");
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .failFast("hack/local-stack.sh stack exited; see " + log, () -> !script.isAlive())
        .until(() -> restarts() > before);
  }

  /** How many restarts the script reported done (it waits for /readyz before it says so). */
  private long restarts() {
    try {
      return Files.readAllLines(log).stream()
          .filter(l -> l.contains("kube-apiserver restarted"))
          .count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Makes {@code rate} of the AWS calls signed with {@code accessKey} answer like a throttled AWS
   * (0 switches it off).
   */
  public void awsFaults(double rate, String accessKey) {
    call(
        "/_chaos/faults",
        "{\"rate\":" + rate + ",\"accessKeys\":[\"" + accessKey + "\"],\"seed\":12}");
  }

  /**
   * Every signed request moto's front saw since the last {@link #forgetRequests}: access key,
   * service, method, path and action, as JSON.
   */
  public String requests() {
    return call("/_chaos/requests", null);
  }

  public void forgetRequests() {
    send(HttpRequest.newBuilder(motoEndpoint().resolve("/_chaos/requests")).DELETE());
  }

  /** moto's state as JSON ({@code /moto-api/data.json}): STS's assumed roles among it. */
  public String motoData() {
    return call("/moto-api/data.json", null);
  }

  /** Turns on moto's IAM enforcement: from now on every AWS call is checked against IAM. */
  public void enforceIam() {
    send(
        HttpRequest.newBuilder(motoEndpoint().resolve("/moto-api/reset-auth"))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("0")));
  }

  /** The faults moto's front injected so far, by service/code, and its idempotent replays. */
  public String awsFaultCounts() {
    return call("/_chaos/faults", null);
  }

  private String call(String path, String json) {
    HttpRequest.Builder request = HttpRequest.newBuilder(motoEndpoint().resolve(path));
    return send(
        json == null ? request.GET() : request.POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private String send(HttpRequest.Builder request) {
    try {
      var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            request.build().uri() + " answered " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void signal(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", signal, Long.toString(script.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + script.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    client.close();
    stop(script);
  }

  /**
   * SIGTERM to the script, which stops what it started; after 90 s (its own SIGKILL comes after 15
   * s per process) whatever is left is killed.
   */
  private static void stop(Process script) {
    List<ProcessHandle> children = script.descendants().toList();
    script.destroy();
    try {
      script.waitFor(90, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    script.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
  }
}
