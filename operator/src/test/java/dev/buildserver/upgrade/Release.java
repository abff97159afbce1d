package dev.buildserver.upgrade;

import dev.buildserver.testing.BuilderProcess;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One release of the operator as a user installs it: its jar and its CRDs. {@code label} names it
 * in logs and the summary ("f1b0c169ab52", "today").
 */
record Release(String label, String commit, Path jar, Path crds) {

  Release {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " does not exist: run make upgrade-test");
    }
    if (!Files.isDirectory(crds)) {
      throw new IllegalStateException(crds + " does not exist: run make upgrade-test");
    }
  }

  /**
   * {@code java -jar <jar> operator} with {@code env}, its log in target/upgrade/{@code name}.log.
   * BuilderProcess runs the jar that {@code -Dbuilder.jar} names, so that property points at this
   * release's jar for the moment of the start.
   */
  BuilderProcess startOperator(String name, Map<String, String> env) {
    String before = System.getProperty("builder.jar");
    System.setProperty("builder.jar", jar.toString());
    try {
      return BuilderProcess.start(
          "upgrade/" + name, BuilderProcess.freePort(), env, List.of("-Xmx256m"), "operator");
    } finally {
      if (before == null) {
        System.clearProperty("builder.jar");
      } else {
        System.setProperty("builder.jar", before);
      }
    }
  }

  /**
   * {@code kubectl apply --server-side --force-conflicts -f <crds>/} (see docs/upgrading.md), then
   * waits until they are Established and checks that the API server serves them as written. One
   * field manager (kubectl's, as the stack's own install) applies every version, so fields a
   * version drops are removed, not kept.
   */
  void applyCrds(Path kubectl, Path kubeconfig) {
    List<Path> files;
    try (var list = Files.list(crds)) {
      files = list.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> apply =
        new ArrayList<>(List.of("apply", "--server-side", "--force-conflicts", "-f", crds + "/"));
    kubectl(kubectl, kubeconfig, apply);
    List<String> wait =
        new ArrayList<>(List.of("wait", "--for", "condition=Established", "--timeout=60s"));
    files.forEach(f -> wait.addAll(List.of("-f", f.toString())));
    kubectl(kubectl, kubeconfig, wait);
    try (KubernetesClient k8s =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
            .build()) {
      for (Path file : files) {
        CustomResourceDefinition wanted =
            Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
        var served =
            k8s.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(wanted.getMetadata().getName())
                .get();
        if (!schemas(wanted).equals(schemas(served))) {
          throw new IllegalStateException(
              "the API server does not serve " + file + " as written after applying it");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The schema of each version (printer columns come back without their zero priority). */
  private static Map<String, Object> schemas(CustomResourceDefinition crd) {
    Map<String, Object> schemas = new TreeMap<>();
    crd.getSpec().getVersions().forEach(v -> schemas.put(v.getName(), v.getSchema()));
    return schemas;
  }

  private static void kubectl(Path kubectl, Path kubeconfig, List<String> args) {
    List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig"));
    command.add(kubeconfig.toString());
    command.addAll(args);
    try {
      Path out = Files.createTempFile("kubectl", ".txt");
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      boolean done = process.waitFor(Duration.ofSeconds(90).toSeconds(), TimeUnit.SECONDS);
      String output = Files.readString(out);
      Files.deleteIfExists(out);
      if (!done) {
        process.destroyForcibly();
        throw new IllegalStateException("kubectl " + args + " did not finish in 90 s");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException("kubectl " + args + " failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
