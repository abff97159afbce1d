package dev.buildserver.asset;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * An informer cache that keeps only the identity of each object (namespace, name, uid,
 * resourceVersion), never its data. Watching Secrets and ConfigMaps this way costs a few hundred
 * bytes per object, however large they are; the content is read on demand. An object the filter
 * refuses is not kept at all (a shard keeps only what its own BuildAssets name).
 */
final class MetadataOnlyStore<T extends HasMetadata> implements ItemStore<T> {

  private final Class<T> type;
  private final Predicate<T> keep;
  private final Map<String, T> items = new ConcurrentHashMap<>();

  MetadataOnlyStore(Class<T> type) {
    this(type, object -> true);
  }

  MetadataOnlyStore(Class<T> type, Predicate<T> keep) {
    this.type = type;
    this.keep = keep;
  }

  @Override
  public String getKey(T object) {
    return Cache.metaNamespaceKeyFunc(object);
  }

  @Override
  public T put(String key, T object) {
    if (!keep.test(object)) {
      return items.remove(key);
    }
    return items.put(key, identityOf(object));
  }

  /**
   * Keeps the identity of an object read directly (not through the informer), unless it is kept
   * already, so that the informer reports its later deletion.
   */
  void remember(T object) {
    items.computeIfAbsent(getKey(object), key -> identityOf(object));
  }

  @Override
  public T remove(String key) {
    return items.remove(key);
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet().stream();
  }

  @Override
  public Stream<T> values() {
    return items.values().stream();
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public T get(String key) {
    return items.get(key);
  }

  private T identityOf(T object) {
    T identity;
    try {
      identity = type.getDeclaredConstructor().newInstance();
    } catch (InstantiationException
        | IllegalAccessException
        | InvocationTargetException
        | NoSuchMethodException e) {
      throw new IllegalStateException("cannot create an empty " + type.getSimpleName(), e);
    }
    var meta = object.getMetadata();
    identity.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace(meta.getNamespace())
            .withName(meta.getName())
            .withUid(meta.getUid())
            .withResourceVersion(meta.getResourceVersion())
            .build());
    return identity;
  }
}
