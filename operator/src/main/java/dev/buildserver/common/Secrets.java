package dev.buildserver.common;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * Reads the Secrets and ConfigMaps a resource references, on demand: the operator's informers keep
 * only their names and versions, never their data. The one way BuildAsset sources and ledger tokens
 * are read.
 */
public final class Secrets {

  private Secrets() {}

  public static Optional<Secret> secret(KubernetesClient client, String namespace, String name) {
    return Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
  }

  public static Optional<ConfigMap> configMap(
      KubernetesClient client, String namespace, String name) {
    return Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(name).get());
  }
}
