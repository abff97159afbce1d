package dev.buildserver.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The controllers' informer cache without {@code metadata.managedFields}: the field-manager
 * bookkeeping of every writer, which nothing in the operator reads and which is a large part of
 * each cached object. The rest of each resource is kept as the API server sent it.
 */
final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {

  LeanItemStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public T put(String key, T object) {
    if (object.getMetadata() != null) {
      object.getMetadata().setManagedFields(null);
    }
    return super.put(key, object);
  }
}
