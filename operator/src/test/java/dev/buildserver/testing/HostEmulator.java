package dev.buildserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An S3 (and EC2) emulator run as a host process on 127.0.0.1 for the test run: LocalStack or
 * SeaweedFS. Its state is thrown away by a restart on the same ports, with a fresh data directory.
 */
abstract class HostEmulator implements MotoServer.Emulator {

  private final String name;
  private final Duration startLimit;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;

  HostEmulator(String name, Duration startLimit) {
    this.name = name;
    this.startLimit = startLimit;
    this.log = RepoFiles.repo().resolve("operator/target/" + name.toLowerCase() + ".log");
  }

  /** The command line, run in {@code data} (emptied before each start). */
  abstract List<String> command(Path data);

  /** Variables to add to the environment. */
  abstract Map<String, String> environment(Path data);

  /** The path whose answer says the emulator is ready, and what that answer must hold. */
  abstract String readyPath();

  abstract Predicate<HttpResponse<String>> ready();

  @Override
  public void reset() {
    stop();
    start();
  }

  /** Killed outright: its state is thrown away anyway, and a graceful stop takes seconds. */
  @Override
  public void stop() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  final void start() {
    Path data = RepoFiles.repo().resolve("operator/target/" + name.toLowerCase() + "-data");
    try {
      deleteTree(data);
      Files.createDirectories(data);
      ProcessBuilder builder =
          new ProcessBuilder(command(data))
              .directory(data.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(environment(data));
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
    awaitReady();
  }

  private void awaitReady() {
    URI probe = endpoint().resolve(readyPath());
    Instant deadline = Instant.now().plus(startLimit);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + process.exitValue() + "; see " + log);
      }
      try {
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (ready().test(answer)) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      MotoServer.sleep(100);
    }
    stop();
    throw new IllegalStateException(
        name + " did not get ready within " + startLimit + "; see " + log);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
