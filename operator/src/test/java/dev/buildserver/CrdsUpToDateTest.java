package dev.buildserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.RepoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed crds/ and the chart's copy must equal what the CRD generator makes from the Java
 * types.
 */
class CrdsUpToDateTest {

  private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    List<String> generated = names(GENERATED);
    assertThat(generated)
        .as("the CRD generator made no CRDs in %s", GENERATED.toAbsolutePath())
        .containsExactlyInAnyOrder(
            "buildassets.buildserver.dev-v1.yml",
            "ec2testruns.buildserver.dev-v1.yml",
            "balancereports.buildserver.dev-v1.yml");
    for (Path committed :
        List.of(RepoFiles.crds(), RepoFiles.repo().resolve("helm/buildserver/crds"))) {
      String dir = RepoFiles.repo().relativize(committed) + "/";
      assertThat(names(committed))
          .as("%s is stale: run 'make crds' and commit the result", dir)
          .containsExactlyInAnyOrderElementsOf(generated);
      for (String name : generated) {
        assertThat(Files.readString(committed.resolve(name)))
            .as("%s%s is stale: run 'make crds' and commit the result", dir, name)
            .isEqualTo(Files.readString(GENERATED.resolve(name)));
      }
    }
  }

  private static List<String> names(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).toList();
    }
  }
}
