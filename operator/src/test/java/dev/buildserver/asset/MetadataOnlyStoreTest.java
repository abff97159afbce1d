package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetadataOnlyStoreTest {

  @Test
  void keepsOnlyTheIdentityOfAnObject() {
    MetadataOnlyStore<Secret> store = new MetadataOnlyStore<>(Secret.class);
    Secret secret = secret("token", "1");

    store.put(store.getKey(secret), secret);

    Secret kept = store.get("ci/token");
    assertThat(kept.getMetadata().getName()).isEqualTo("token");
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("1");
    assertThat(kept.getData()).as("never the content").isNullOrEmpty();
  }

  @Test
  void aShardKeepsOnlyWhatItsOwnResourcesNameAndForgetsWhatTheyStopNaming() {
    Set<String> named = new HashSet<>(Set.of("used"));
    MetadataOnlyStore<Secret> store =
        new MetadataOnlyStore<>(Secret.class, s -> named.contains(s.getMetadata().getName()));

    assertThat(store.put("ci/other", secret("other", "1"))).isNull();
    store.put("ci/used", secret("used", "1"));
    assertThat(store.keySet()).containsExactly("ci/used");

    named.clear(); // the BuildAsset that named it moved to another shard
    Secret previous = store.put("ci/used", secret("used", "2"));

    assertThat(previous.getMetadata().getResourceVersion())
        .as("the informer is told what it held before")
        .isEqualTo("1");
    assertThat(store.size()).isZero();
  }

  private static Secret secret(String name, String version) {
    return new SecretBuilder()
        .withNewMetadata()
        .withNamespace("ci")
        .withName(name)
        .withResourceVersion(version)
        .endMetadata()
        .addToData("token", "c2VjcmV0")
        .build();
  }
}
