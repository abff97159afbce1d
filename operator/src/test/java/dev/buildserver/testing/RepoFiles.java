package dev.buildserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Paths into the repository and the pinned versions of the test rig (hack/versions.env). */
public final class RepoFiles {

  private RepoFiles() {}

  public static Path repo() {
    return Path.of(System.getProperty("buildserver.repo.dir", "..")).toAbsolutePath().normalize();
  }

  public static Path crds() {
    return repo().resolve("crds");
  }

  public static Path examples() {
    return repo().resolve("examples");
  }

  /** A version pinned in hack/versions.env, e.g. {@code K8S_VERSION}. */
  public static String pinned(String name) {
    Properties versions = new Properties();
    try (var in = Files.newInputStream(repo().resolve("hack/versions.env"))) {
      versions.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String value = versions.getProperty(name);
    if (value == null) {
      throw new IllegalStateException(name + " is not pinned in hack/versions.env");
    }
    return value.trim();
  }

  /** Fails the test run with one clear line when a tool it needs is missing. */
  public static AssertionError missingTool(String what, String fix) {
    return new AssertionError(what + " is missing: " + fix + " (make test installs it)");
  }

  /**
   * The JVM options of the Helm chart ({@code javaOptions} in values.yaml), with its memory limit
   * given to the JVM as a container would: the operator as it runs in a cluster.
   */
  public static List<String> chartJvmOptions() {
    String values;
    try {
      values = Files.readString(repo().resolve("helm/buildserver/values.yaml"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher options = Pattern.compile("(?m)^javaOptions: \"([^\"]*)\"").matcher(values);
    Matcher limit =
        Pattern.compile("(?ms)^resources:.*?limits:\\s*\\n\\s*memory: (\\d+)Mi").matcher(values);
    if (!options.find() || !limit.find()) {
      throw new IllegalStateException(
          "helm/buildserver/values.yaml has no javaOptions or resources.limits.memory");
    }
    List<String> jvm = new ArrayList<>(List.of(options.group(1).split("\\s+")));
    jvm.add("-XX:MaxRAM=" + limit.group(1) + "m"); // what the container limit tells the JVM
    return jvm;
  }
}
