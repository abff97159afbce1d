package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;

/**
 * Deleting a BuildAsset removes only the object it wrote: an object that someone replaced between
 * the operator's HEAD and its DELETE survives, in plain and in versioned buckets.
 */
class DeletionRaceE2ETest {

  private static final ReplaceBeforeDelete race = new ReplaceBeforeDelete();
  private static Cluster cluster;
  private static InProcessOperator operator;
  private static S3Client s3;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("delete-race"));
    operator = InProcessOperator.start(List.of(race), Map.of(), cluster.namespace());
    s3 = operator.s3();
    race.s3 = s3;
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void anObjectReplacedBetweenTheHeadAndTheDeleteSurvives() {
    s3.createBucket(b -> b.bucket("race-plain"));
    assertReplacementSurvives("race-plain", "plain");
  }

  @Test
  void onAVersionedBucketOnlyTheVersionItWroteIsDeleted() {
    s3.createBucket(b -> b.bucket("race-versioned"));
    s3.putBucketVersioning(
        b ->
            b.bucket("race-versioned")
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
    assertReplacementSurvives("race-versioned", "versioned");
    var versions = s3.listObjectVersions(b -> b.bucket("race-versioned").prefix("versioned.txt"));
    assertThat(versions.deleteMarkers()).isEmpty();
    assertThat(versions.versions()).hasSize(1); // the operator's own version is gone
  }

  private void assertReplacementSurvives(String bucket, String name) {
    String key = name + ".txt";
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: %s}
            spec: {bucket: %s, key: %s, source: {inline: "written by the operator"}}
            """
                .formatted(name, bucket, key));
    cluster.awaitReady(asset, "Uploaded");

    race.replaceOnDelete(key);
    cluster.client().resource(asset).delete();
    await().atMost(KubeApi.WAIT).until(() -> cluster.get(asset) == null);
    assertThat(race.replaced).contains(key);
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String())
        .isEqualTo("replaced by someone else");
  }

  /** Replaces the object right before the operator's DeleteObject reaches S3. */
  static final class ReplaceBeforeDelete implements ExecutionInterceptor {
    volatile S3Client s3;
    final Set<String> keys = ConcurrentHashMap.newKeySet();
    final Set<String> replaced = ConcurrentHashMap.newKeySet();

    void replaceOnDelete(String key) {
      keys.add(key);
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      if (context.request() instanceof DeleteObjectRequest delete && keys.remove(delete.key())) {
        s3.putObject(
            b -> b.bucket(delete.bucket()).key(delete.key()),
            RequestBody.fromString("replaced by someone else"));
        replaced.add(delete.key());
      }
    }
  }
}
