package dev.buildserver.testing;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real kube-apiserver and etcd for end-to-end tests, started once per test run through
 * kube-api-test from the binaries hack/kube-binaries.sh put in place, with the committed CRDs
 * installed. Each test takes a namespace of its own.
 */
public final class KubeApi {

  private static KubeApi instance;
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  private final KubeAPIServer server;
  private final KubernetesClient client;
  private final Path kubeconfig;
  private final Path binaries;

  private KubeApi(KubeAPIServer server, KubernetesClient client, Path kubeconfig, Path binaries) {
    this.server = server;
    this.client = client;
    this.kubeconfig = kubeconfig;
    this.binaries = binaries;
  }

  public static synchronized KubeApi get() {
    if (instance == null) {
      instance = start();
      Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "kube-api-stop"));
    }
    return instance;
  }

  /** A cluster-admin client. */
  public KubernetesClient client() {
    return client;
  }

  /** A kubeconfig file for the API server, for processes and clients of their own. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** Runs the kubectl built beside the API server against it; its stdout, or a failure. */
  public String kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(binaries.resolve("kubectl").toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("kubectl did not answer in 30 s: " + command);
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException("kubectl failed: " + command + "\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates a fresh namespace for one test. */
  public String newNamespace(String prefix) {
    String name = prefix + "-" + NAMESPACES.incrementAndGet();
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  private static KubeApi start() {
    String version = RepoFiles.pinned("K8S_VERSION");
    String root =
        System.getenv()
            .getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest");
    Path binaries = Path.of(root, "k8s", version + "-linux-amd64");
    if (!Files.isExecutable(binaries.resolve("kube-apiserver"))
        || !Files.isExecutable(binaries.resolve("etcd"))) {
      throw RepoFiles.missingTool(
          "kube-apiserver/etcd v" + version + " in " + binaries, "run hack/kube-binaries.sh");
    }
    KubeAPIServer server =
        new KubeAPIServer(
            KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(version)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .build());
    server.start();
    try {
      String yaml = server.getKubeConfigYaml();
      KubernetesClient client =
          new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(yaml)).build();
      Path kubeconfig = Files.createTempFile("buildserver-kubeconfig", ".yaml");
      Files.writeString(kubeconfig, yaml);
      kubeconfig.toFile().deleteOnExit();
      installCrds(client);
      return new KubeApi(server, client, kubeconfig, binaries);
    } catch (IOException | RuntimeException e) {
      server.stop(); // never leave an API server behind a failed start
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  private static void installCrds(KubernetesClient client) throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(RepoFiles.crds())) {
      files = list.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no CRDs in " + RepoFiles.crds() + ": run make crds");
    }
    for (Path file : files) {
      try (var in = Files.newInputStream(file)) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(crd).serverSideApply();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(crd.getMetadata().getName())
            .waitUntilCondition(
                c ->
                    c.getStatus() != null
                        && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream()
                            .anyMatch(
                                k ->
                                    "Established".equals(k.getType())
                                        && "True".equals(k.getStatus())),
                30,
                TimeUnit.SECONDS);
      }
    }
  }

  private void stop() {
    client.close();
    server.stop();
  }

  /** How long end-to-end waits may take at most. */
  public static final Duration WAIT = Duration.ofSeconds(60);
}
