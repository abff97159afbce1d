package dev.buildserver.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

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
}
