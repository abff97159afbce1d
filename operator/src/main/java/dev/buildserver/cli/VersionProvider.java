package dev.buildserver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code builder --version}: the version and the git commit the build recorded in {@code
 * dev/buildserver/git.properties}, with "-dirty" when the work tree had uncommitted changes.
 */
public class VersionProvider implements IVersionProvider {

  private static final String RECORD = "/dev/buildserver/git.properties";

  @Override
  public String[] getVersion() {
    Properties build = build();
    String commit = build.getProperty("git.commit.id.abbrev", "unknown");
    if (Boolean.parseBoolean(build.getProperty("git.dirty"))) {
      commit += "-dirty";
    }
    return new String[] {
      "builder " + build.getProperty("git.build.version", "unknown"), "commit " + commit
    };
  }

  private static Properties build() {
    Properties build = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream(RECORD)) {
      if (in != null) { // absent when built outside a git checkout
        build.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return build;
  }
}
