package dev.buildserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The AWS emulator for tests: one moto server on a free 127.0.0.1 port for the whole test run,
 * started on first use from the project venv (.venv). A user-set {@code AWS_ENDPOINT_URL} is used
 * instead (a real account, an emulator you run), and then nothing is started. With the system
 * property {@code buildserver.aws.emulator=localstack} (set by {@code make test-localstack}, that
 * is {@code mvn -Plocalstack}) it is LocalStack instead: a Testcontainers container where Docker
 * answers (the class {@value #LOCALSTACK_CLASS} lives in {@code src/test-localstack}, compiled only
 * under that profile), else a host process ({@link LocalStackProcess}). With {@code seaweedfs} (set
 * by {@code make test-seaweedfs}) it is a real S3 server, {@link SeaweedFsServer}, for the S3
 * tests.
 */
public final class MotoServer {

  /**
   * System property that picks the emulator: {@code moto} (the default), {@code localstack}, or
   * {@code seaweedfs} (S3 only).
   */
  public static final String EMULATOR_PROPERTY = "buildserver.aws.emulator";

  static final String LOCALSTACK_CLASS = "dev.buildserver.testing.LocalStackEmulator";

  /** An emulator started by other means than moto_server: LocalStack, under -Plocalstack. */
  public interface Emulator {
    URI endpoint();

    /** Clears all state, as moto's {@code /moto-api/reset} does. */
    void reset();

    void stop();
  }

  private static MotoServer instance;

  private final URI endpoint;
  private final Process process;
  private final boolean external;
  private final Emulator emulator;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private MotoServer(URI endpoint, Process process, boolean external) {
    this(endpoint, process, external, null);
  }

  private MotoServer(URI endpoint, Process process, boolean external, Emulator emulator) {
    this.endpoint = endpoint;
    this.process = process;
    this.external = external;
    this.emulator = emulator;
  }

  /** The shared server, started on the first call. */
  public static synchronized MotoServer get() {
    if (instance == null) {
      instance = start();
      Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "moto-stop"));
    }
    return instance;
  }

  public URI endpoint() {
    return endpoint;
  }

  /** The CPU time moto's process has used so far (zero when it is not this JVM's child). */
  public java.time.Duration cpuTime() {
    return process == null
        ? java.time.Duration.ZERO
        : process.info().totalCpuDuration().orElse(java.time.Duration.ZERO);
  }

  /** Clears every bucket, instance and template, so each test starts from an empty account. */
  public void reset() {
    if (external) {
      return;
    }
    if (emulator != null) {
      emulator.reset();
      return;
    }
    try {
      var response =
          http.send(
              HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset"))
                  .timeout(Duration.ofSeconds(10))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("moto reset answered " + response.statusCode());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static MotoServer start() {
    String choice = System.getProperty(EMULATOR_PROPERTY, "moto");
    if (choice.equals("localstack")) {
      Emulator localStack = localStackWhereItRuns();
      useDummyCredentials();
      return new MotoServer(localStack.endpoint(), null, false, localStack);
    }
    if (choice.equals("seaweedfs")) {
      Emulator seaweed = new SeaweedFsServer();
      useDummyCredentials();
      return new MotoServer(seaweed.endpoint(), null, false, seaweed);
    }
    if (!choice.equals("moto")) {
      throw new IllegalStateException(
          EMULATOR_PROPERTY + "=" + choice + " is not an emulator: moto, localstack or seaweedfs");
    }
    String userEndpoint = System.getenv("AWS_ENDPOINT_URL");
    if (userEndpoint != null && !userEndpoint.isBlank()) {
      return new MotoServer(URI.create(userEndpoint), null, true);
    }
    Path binary = RepoFiles.repo().resolve(".venv/bin/moto_server");
    if (!Files.isExecutable(binary)) {
      throw RepoFiles.missingTool("moto_server (" + binary + ")", "run hack/python-venv.sh");
    }
    int port = freePort();
    Path log = RepoFiles.repo().resolve("operator/target/moto.log");
    try {
      Files.createDirectories(log.getParent());
      Process process =
          new ProcessBuilder(binary.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      MotoServer server = new MotoServer(URI.create("http://127.0.0.1:" + port), process, false);
      server.awaitUp(Duration.ofSeconds(60));
      useDummyCredentials();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
  }

  /** System property: {@code auto} (the default), {@code container} or {@code host}. */
  public static final String LOCALSTACK_RUNTIME_PROPERTY = "buildserver.localstack.runtime";

  /**
   * LocalStack through Testcontainers where a Docker engine answers, else as a host process from
   * the pinned venv ({@link LocalStackProcess}); {@value #LOCALSTACK_RUNTIME_PROPERTY} forces one.
   * Which one ran is written to operator/target/localstack-runtime.txt, which make prints.
   */
  private static Emulator localStackWhereItRuns() {
    String runtime = System.getProperty(LOCALSTACK_RUNTIME_PROPERTY, "auto");
    boolean container =
        switch (runtime) {
          case "container" -> true;
          case "host" -> false;
          case "auto" -> dockerAnswers();
          default ->
              throw new IllegalStateException(
                  LOCALSTACK_RUNTIME_PROPERTY + "=" + runtime + " is not auto, container or host");
        };
    Emulator emulator = container ? localStackContainer() : new LocalStackProcess();
    String version = RepoFiles.pinned("LOCALSTACK_VERSION");
    String told =
        container
            ? "LocalStack " + version + ": a Testcontainers container (Docker answered)"
            : "LocalStack " + version + ": a host process from .venv-localstack (no Docker)";
    try {
      Path file = RepoFiles.repo().resolve("operator/target/localstack-runtime.txt");
      Files.createDirectories(file.getParent());
      Files.writeString(file, told + " at " + emulator.endpoint() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return emulator;
  }

  /** Whether a Docker engine is there to ask: DOCKER_HOST, or the default socket. */
  private static boolean dockerAnswers() {
    String host = System.getenv("DOCKER_HOST");
    return (host != null && !host.isBlank()) || Files.exists(Path.of("/var/run/docker.sock"));
  }

  /** Started reflectively: its class and Testcontainers are on the class path only then. */
  private static Emulator localStackContainer() {
    try {
      return (Emulator) Class.forName(LOCALSTACK_CLASS).getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException | NoClassDefFoundError e) {
      throw needsProfile(e); // or a LocalStackEmulator.class left in target/ by -Plocalstack
    } catch (java.lang.reflect.InvocationTargetException e) {
      if (e.getCause() instanceof NoClassDefFoundError missing) {
        throw needsProfile(missing);
      }
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause; // e.g. Testcontainers' "Could not find a valid Docker environment"
      }
      throw new IllegalStateException("cannot start LocalStack", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot start LocalStack", e);
    }
  }

  private static IllegalStateException needsProfile(Throwable cause) {
    return new IllegalStateException(
        EMULATOR_PROPERTY
            + "=localstack needs the Maven profile that compiles it: mvn -Plocalstack verify",
        cause);
  }

  /**
   * moto accepts any credentials, but the SDK's default chain needs some: dummy ones are handed to
   * the code under test through the SDK's system properties, unless the environment has its own.
   */
  public static void useDummyCredentials() {
    if (System.getenv("AWS_ACCESS_KEY_ID") == null) {
      System.setProperty("aws.accessKeyId", "testing");
      System.setProperty("aws.secretAccessKey", "testing");
    }
  }

  private void awaitUp(Duration limit) {
    Instant deadline = Instant.now().plus(limit);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("moto_server exited early; see operator/target/moto.log");
      }
      try {
        var response =
            http.send(
                HttpRequest.newBuilder(endpoint.resolve("/moto-api/"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(200);
    }
    stop();
    throw new IllegalStateException("moto_server did not answer within " + limit);
  }

  private void stop() {
    if (process != null) {
      process.destroy();
    }
    if (emulator != null) {
      emulator.stop();
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
