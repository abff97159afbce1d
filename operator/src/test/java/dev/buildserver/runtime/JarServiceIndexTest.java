package dev.buildserver.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.core.io.service.SoftServiceLoader.StaticDefinition;
import io.micronaut.core.io.service.SoftServiceLoader.StaticServiceLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarServiceIndexTest {

  @TempDir Path dir;

  @Test
  void readsBothLayoutsAndAnswersForServiceTypesTheJarDoesNotDeclare() throws IOException {
    Path jar =
        jar(
            null,
            Map.of(
                "META-INF/micronaut/example.Service/java.util.ArrayList", "",
                "META-INF/micronaut/example.Service/no.such.Implementation", "",
                "META-INF/services/example.Service",
                    "# a comment\njava.util.LinkedList # trailing\n\n",
                "META-INF/services/example.Other", "java.util.HashMap\n",
                "META-INF/micronaut/", ""));

    JarServiceIndex index = JarServiceIndex.read(jar.toFile()).orElseThrow();

    assertThat(index.implementationsOf("example.Service"))
        .containsExactlyInAnyOrder(
            "java.util.ArrayList", "no.such.Implementation", "java.util.LinkedList");
    assertThat(index.implementationsOf("example.Other")).containsExactly("java.util.HashMap");
    assertThat(index.implementationsOf("example.Missing")).isEmpty();

    Map<String, StaticServiceLoader<?>> loaders = index.loaders();
    assertThat(loaders.containsKey("example.Missing"))
        .as("the jar is the whole class path: no scan for any type")
        .isTrue();
    assertThat(loaders.get("example.Missing").findAll(name -> true)).isEmpty();
    List<?> loaded =
        loaders.get("example.Service").findAll(name -> true).map(StaticDefinition::load).toList();
    assertThat(loaded)
        .as("instances as Micronaut makes them; a class that is missing is left out")
        .hasSize(2)
        .hasAtLeastOneElementOfType(java.util.ArrayList.class)
        .hasAtLeastOneElementOfType(java.util.LinkedList.class);
    assertThat(
            loaders
                .get("example.Service")
                .findAll(name -> name.endsWith("ArrayList"))
                .map(StaticDefinition::getName))
        .containsExactly("java.util.ArrayList");
  }

  @Test
  void aJarThatNamesAClassPathInItsManifestIsNotTheWholeClassPath() throws IOException {
    Path jar =
        jar("lib/other.jar", Map.of("META-INF/services/example.Service", "java.util.ArrayList\n"));

    assertThat(JarServiceIndex.read(jar.toFile())).isEmpty();
  }

  @Test
  void anUnreadableJarLeavesMicronautsOwnScan() throws IOException {
    Path notAJar = Files.writeString(dir.resolve("broken.jar"), "not a zip");

    assertThat(JarServiceIndex.read(notAJar.toFile())).isEmpty();
  }

  private Path jar(String classPath, Map<String, String> entries) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (classPath != null) {
      manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    }
    Path jar = dir.resolve("app.jar");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      for (var entry : entries.entrySet()) {
        out.putNextEntry(new JarEntry(entry.getKey()));
        out.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }
}
