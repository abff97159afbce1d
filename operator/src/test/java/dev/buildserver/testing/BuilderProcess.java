package dev.buildserver.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real {@code builder} program started as its own JVM, the way a user starts it, with the
 * test's class path: the operator in the background, or one CLI command run to its end.
 */
public final class BuilderProcess implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private BuilderProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts {@code builder <args>} with the given environment added to this one's. */
  public static BuilderProcess start(
      String name, int port, Map<String, String> env, String... args) {
    return start(name, port, env, List.of("-Xmx256m"), args);
  }

  /** Starts {@code builder <args>} with JVM options such as a heap limit. */
  public static BuilderProcess start(
      String name, int port, Map<String, String> env, List<String> jvmOptions, String... args) {
    return launch(name, port, env, command(jvmOptions, args));
  }

  /**
   * Starts a whole command line that runs the operator, e.g. bin/builder with JAVA and JAVA_OPTS in
   * {@code env} (make bench: the launcher the image uses, on Java 25 and on Java 17).
   */
  public static BuilderProcess launch(
      String name, int port, Map<String, String> env, List<String> commandLine) {
    Path log = Path.of("target", name + ".log").toAbsolutePath();
    ProcessBuilder builder =
        new ProcessBuilder(commandLine).redirectErrorStream(true).redirectOutput(log.toFile());
    // An operator without BUILDSERVER_API_TOKEN writes the token it makes here, not in the user's
    // own token file.
    builder
        .environment()
        .put(
            "BUILDSERVER_API_TOKEN_FILE",
            Path.of("target", name + ".api-token").toAbsolutePath().toString());
    builder.environment().putAll(env);
    builder.environment().put("MICRONAUT_SERVER_PORT", Integer.toString(port));
    try {
      return new BuilderProcess(builder.start(), port, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What a finished CLI command printed, and its exit code. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /** Runs {@code builder <args>} to its end (at most two minutes), feeding {@code stdin}. */
  public static Result run(Map<String, String> env, byte[] stdin, String... args) {
    return run(env, List.of(), stdin, args);
  }

  /** Runs {@code builder <args>} to its end with extra JVM options. */
  public static Result run(
      Map<String, String> env, List<String> jvmOptions, byte[] stdin, String... args) {
    ProcessBuilder builder = new ProcessBuilder(command(jvmOptions, args));
    builder.environment().putAll(env);
    return run(builder, stdin);
  }

  /** Runs a whole command line (e.g. bin/builder) to its end, at most two minutes. */
  public static Result run(ProcessBuilder builder) {
    return run(builder, new byte[0]);
  }

  private static Result run(ProcessBuilder builder, byte[] stdin) {
    try {
      Path out = Files.createTempFile("builder-out", ".txt");
      Path err = Files.createTempFile("builder-err", ".txt");
      Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      try (var in = process.getOutputStream()) {
        in.write(stdin);
      }
      if (!process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError(
            String.join(" ", builder.command()) + " did not finish in 2 minutes");
      }
      Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code java <options> -cp <the test class path> dev.buildserver.Main <args>}, or with {@code
   * -Dbuilder.jar=<path>} (make chaos) {@code java <options> -jar <path> <args>}: the real jar.
   */
  private static List<String> command(List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(testJava().toString());
    command.addAll(jvmOptions);
    String jar = System.getProperty("builder.jar", "");
    if (jar.isBlank()) {
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("dev.buildserver.Main");
    } else {
      command.add("-jar");
      command.add(jar);
    }
    command.addAll(List.of(args));
    return command;
  }

  /** The {@code java} that runs the tests. */
  public static Path testJava() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /** The environment a CLI run needs to reach moto. */
  public static Map<String, String> awsEnv() {
    return Map.of(
        "AWS_ENDPOINT_URL", MotoServer.get().endpoint().toString(),
        "AWS_ACCESS_KEY_ID", "testing",
        "AWS_SECRET_ACCESS_KEY", "testing",
        "AWS_REGION", "us-east-1");
  }

  public static int freePort() {
    return MotoServer.freePort();
  }

  /** A free port whose successor is free too (etcd's client and peer ports). */
  public static int freePortPair() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = freePort();
      if (port < 65535 && bindable(port + 1)) {
        return port;
      }
    }
    throw new IllegalStateException("no two adjacent free ports in 50 tries");
  }

  private static boolean bindable(int port) {
    try (var socket =
        new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public Process process() {
    return process;
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A path on the process's HTTP port. */
  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** GETs a path on the process's HTTP port; the status code is -1 when nothing answers. */
  public HttpResponse<String> get(String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits (at most 90 s) until /health/readiness answers 200; fails at once if the process ends.
   */
  public BuilderProcess awaitReady() {
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .failFast("the operator process exited; see " + log, () -> !process.isAlive())
        .until(
            () -> {
              HttpResponse<String> ready = get("/health/readiness");
              return ready != null && ready.statusCode() == 200;
            });
    return this;
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
