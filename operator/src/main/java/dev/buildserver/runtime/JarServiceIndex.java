package dev.buildserver.runtime;

import io.micronaut.core.io.service.SoftServiceLoader;
import io.micronaut.core.io.service.SoftServiceLoader.StaticDefinition;
import io.micronaut.core.io.service.SoftServiceLoader.StaticServiceLoader;
import io.micronaut.core.optim.StaticOptimizations;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes.Name;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Micronaut's service index read once from the application jar. Without it, Micronaut lists {@code
 * META-INF/micronaut/} through a zip file system it opens on the 38,000-entry jar: 65 to 165 ms of
 * every start on the benchmark machine, where reading the jar's own index takes about 50. When the
 * class path is that one jar ({@code java -jar builder.jar}) the jar's entries are the whole truth,
 * so this index answers for every service type, including those with no implementation. Any other
 * class path (tests, an IDE) keeps Micronaut's own scan.
 */
public final class JarServiceIndex {

  private static final String MICRONAUT = "META-INF/micronaut/";
  private static final String SERVICES = "META-INF/services/";

  private final Map<String, Set<String>> implementations;

  JarServiceIndex(Map<String, Set<String>> implementations) {
    this.implementations = implementations;
  }

  /** Installs the index when the class path is a single jar; a failure leaves Micronaut's scan. */
  public static void installForSingleJarClassPath() {
    String classPath = System.getProperty("java.class.path", "");
    if (classPath.isEmpty()
        || classPath.contains(File.pathSeparator)
        || !classPath.endsWith(".jar")) {
      return;
    }
    read(new File(classPath))
        .ifPresent(
            index -> {
              try {
                StaticOptimizations.set(new SoftServiceLoader.Optimizations(index.loaders()));
              } catch (IllegalStateException alreadyRead) {
                // Micronaut has read its optimizations already (a second run in one JVM)
              }
            });
  }

  /**
   * The service types and implementation class names a jar declares, in both Micronaut's layout and
   * the JDK's.
   */
  static Optional<JarServiceIndex> read(File file) {
    Map<String, Set<String>> found = new HashMap<>();
    try (JarFile jar = new JarFile(file)) {
      Manifest manifest = jar.getManifest();
      if (manifest != null && manifest.getMainAttributes().getValue(Name.CLASS_PATH) != null) {
        return Optional.empty(); // other jars are on the class path too
      }
      for (JarEntry entry : (Iterable<JarEntry>) jar.stream()::iterator) {
        String name = entry.getName();
        if (entry.isDirectory()) {
          continue;
        }
        if (name.startsWith(MICRONAUT)) {
          String[] parts = name.substring(MICRONAUT.length()).split("/");
          if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
            found.computeIfAbsent(parts[0], k -> new LinkedHashSet<>()).add(parts[1]);
          }
        } else if (name.startsWith(SERVICES) && name.indexOf('/', SERVICES.length()) < 0) {
          Set<String> names =
              found.computeIfAbsent(name.substring(SERVICES.length()), k -> new LinkedHashSet<>());
          try (InputStream in = jar.getInputStream(entry)) {
            new String(in.readAllBytes(), StandardCharsets.UTF_8)
                .lines()
                .map(line -> line.replaceFirst("#.*", "").trim())
                .filter(line -> !line.isEmpty())
                .forEach(names::add);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.of(new JarServiceIndex(found));
  }

  /** The implementation class names of one service type (empty when the jar declares none). */
  Set<String> implementationsOf(String serviceType) {
    return implementations.getOrDefault(serviceType, Set.of());
  }

  /** A loader for every service type name: the jar is the whole class path. */
  Map<String, StaticServiceLoader<?>> loaders() {
    return new AbstractMap<>() {
      @Override
      public StaticServiceLoader<?> get(Object serviceType) {
        return serviceType instanceof String type ? loader(implementationsOf(type)) : null;
      }

      @Override
      public boolean containsKey(Object serviceType) {
        return serviceType instanceof String;
      }

      @Override
      public Set<Entry<String, StaticServiceLoader<?>>> entrySet() {
        Map<String, StaticServiceLoader<?>> known = new HashMap<>();
        implementations.forEach((type, names) -> known.put(type, loader(names)));
        return known.entrySet();
      }
    };
  }

  /**
   * Instances as Micronaut's own scan makes them: a public no-argument constructor; a class that is
   * missing, or needs one that is, is left out.
   */
  private static <S> StaticServiceLoader<S> loader(Set<String> classNames) {
    return condition ->
        classNames.stream()
            .filter(condition)
            .map(JarServiceIndex::<S>instantiate)
            .filter(Objects::nonNull);
  }

  @SuppressWarnings("unchecked")
  private static <S> StaticDefinition<S> instantiate(String className) {
    try {
      Class<?> type = Class.forName(className, false, JarServiceIndex.class.getClassLoader());
      S instance =
          (S)
              MethodHandles.publicLookup()
                  .findConstructor(type, MethodType.methodType(void.class))
                  .invoke();
      return StaticDefinition.of(className, () -> instance);
    } catch (NoClassDefFoundError
        | ClassNotFoundException
        | NoSuchMethodException
        | IllegalAccessException e) {
      return null;
    } catch (Throwable e) {
      throw new IllegalStateException("cannot create service " + className, e);
    }
  }
}
