package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The operator does not keep the cluster's Secrets in its heap: 2,000 unrelated Secrets of 100 KiB
 * (about 200 MiB, like Helm release Secrets) cost it almost nothing, and a change to a Secret that
 * a BuildAsset reads is still uploaded within seconds.
 */
class SourceMemoryE2ETest {

  private static final int SECRETS = 2_000;
  private static final int SECRET_BYTES = 100 * 1024;
  private static final long ALLOWED_GROWTH = 16L * 1024 * 1024;

  @Test
  void unrelatedSecretsCostAlmostNoHeapAndAReferencedOneIsStillFollowed() throws Exception {
    KubeApi api = KubeApi.get();
    Cluster cluster = new Cluster(api.client(), api.newNamespace("memory"));

    long baseline;
    try (InProcessOperator idle = InProcessOperator.start(cluster.namespace())) {
      baseline = liveHeap();
    }
    createUnrelatedSecrets(cluster);

    try (InProcessOperator operator = InProcessOperator.start(cluster.namespace())) {
      long loaded = liveHeap();
      System.out.printf(
          "live heap: %d MiB without Secrets, %d MiB with %d Secrets of %d KiB (%+d KiB)%n",
          baseline >> 20, loaded >> 20, SECRETS, SECRET_BYTES >> 10, (loaded - baseline) >> 10);
      assertThat(loaded - baseline).isLessThan(ALLOWED_GROWTH);

      cluster.secret("referenced", "value", "v1".getBytes(StandardCharsets.UTF_8));
      BuildAsset asset =
          cluster.create(
              BuildAsset.class,
              """
              metadata: {name: followed}
              spec:
                bucket: memory-assets
                key: followed.txt
                createBucket: true
                source: {secretKeyRef: {name: referenced, key: value}}
              """);
      cluster.awaitReady(asset, "Uploaded");
      assertThat(content(operator)).isEqualTo("v1");

      cluster
          .client()
          .secrets()
          .inNamespace(cluster.namespace())
          .withName("referenced")
          .edit(
              s -> {
                s.setData(java.util.Map.of("value", base64("v2")));
                return s;
              });
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> content(operator), "v2"::equals);
    }
  }

  private static String content(InProcessOperator operator) {
    return operator
        .s3()
        .getObjectAsBytes(b -> b.bucket("memory-assets").key("followed.txt"))
        .asUtf8String();
  }

  private static void createUnrelatedSecrets(Cluster cluster) throws InterruptedException {
    byte[] payload = new byte[SECRET_BYTES];
    new Random(7).nextBytes(payload);
    String data = Base64.getEncoder().encodeToString(payload);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    IntStream.range(0, SECRETS)
        .forEach(
            i ->
                pool.submit(
                    () ->
                        cluster
                            .client()
                            .resource(
                                new SecretBuilder()
                                    .withNewMetadata()
                                    .withName("helm-release-" + i)
                                    .withNamespace(cluster.namespace())
                                    .addToLabels("owner", "helm")
                                    .endMetadata()
                                    .addToData("release", data)
                                    .build())
                            .create()));
    pool.shutdown();
    assertThat(pool.awaitTermination(3, TimeUnit.MINUTES)).isTrue();
    assertThat(cluster.client().secrets().inNamespace(cluster.namespace()).list().getItems())
        .hasSizeGreaterThanOrEqualTo(SECRETS);
  }

  private static String base64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  /** Heap in use after full collections, in bytes. */
  private static long liveHeap() throws InterruptedException {
    var memory = ManagementFactory.getMemoryMXBean();
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
      least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
    }
    return least;
  }
}
