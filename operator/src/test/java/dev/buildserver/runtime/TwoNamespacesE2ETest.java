package dev.buildserver.runtime;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An operator watching two namespaces runs one informer per namespace. Each informer's first list
 * must leave the other's resources alone: resources that exist in both before the operator starts
 * are all reconciled. (With one cache shared by both informers, the second list dropped the first
 * namespace's resources, which then waited for the next resync; make chaos found it.)
 */
@ExtendWith(MotoExtension.class)
class TwoNamespacesE2ETest {

  @Test
  void reconcilesWhatExistedInBothNamespacesBeforeItStarted() {
    KubeApi api = KubeApi.get();
    // Several starts: which informer lists last is a race.
    for (int start = 0; start < 3; start++) {
      Cluster first = new Cluster(api.client(), api.newNamespace("two-a"));
      Cluster second = new Cluster(api.client(), api.newNamespace("two-b"));
      List<BuildAsset> assets = new ArrayList<>();
      for (Cluster cluster : List.of(first, second)) {
        for (int i = 0; i < 3; i++) {
          assets.add(
              cluster.create(
                  BuildAsset.class,
                  """
                  metadata: {name: a%d}
                  spec: {bucket: two-namespaces, key: %s/a%d, createBucket: true, source: {inline: x}}
                  """
                      .formatted(i, cluster.namespace(), i)));
        }
      }
      try (InProcessOperator operator =
          InProcessOperator.start(first.namespace(), second.namespace())) {
        for (BuildAsset asset : assets) {
          first.awaitReady(asset, "Uploaded");
        }
      }
    }
  }
}
