package dev.buildserver.runtime;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds the fabric8 client from {@code buildserver.operator.kubeconfig} when set, else from the
 * usual places: {@code KUBECONFIG}, {@code ~/.kube/config}, or the in-cluster service account.
 * Beans of fabric8's {@link Interceptor} type (none in production; the chaos suite injects API
 * faults) see every request the client makes.
 */
@Factory
public class KubernetesClientFactory {

  @Singleton
  @Bean(preDestroy = "close")
  KubernetesClient kubernetesClient(OperatorSettings settings, List<Interceptor> interceptors) {
    Config config =
        settings
            .getKubeconfig()
            .map(KubernetesClientFactory::fromFile)
            .orElseGet(() -> Config.autoConfigure(null));
    settings
        .getImpersonateUser()
        .ifPresent(
            user -> {
              config.setImpersonateUsername(user);
              config.setImpersonateGroups(settings.getImpersonateGroups().toArray(String[]::new));
            });
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientBuilderConsumer(
            http ->
                interceptors.forEach(i -> http.addOrReplaceInterceptor(i.getClass().getName(), i)))
        .build();
  }

  private static Config fromFile(String path) {
    try {
      return Config.fromKubeconfig(Files.readString(Path.of(path)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubeconfig " + path, e);
    }
  }
}
