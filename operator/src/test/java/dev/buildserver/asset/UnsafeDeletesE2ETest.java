package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.Resources;
import dev.buildserver.testing.S3Front;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * BuildAssets on S3 stores without conditional deletes (a front before moto that answers 501 to
 * {@code If-Match} on DeleteObject, as LocalStack 4.14 does, or drops it, as MinIO does): the owned
 * object goes with its BuildAsset, a foreign one stays, and {@code unsafe-deletes: refuse} keeps
 * the object with a condition that says why. Counted through moto, not through the front.
 */
class UnsafeDeletesE2ETest {

  private static final AtomicInteger BUCKETS = new AtomicInteger();

  private final KubernetesClient k8s = KubeApi.get().client();
  private S3Front front;
  private InProcessOperator operator;
  private Cluster cluster;
  private S3Client s3;
  private AwsClients moto;

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
    if (front != null) {
      front.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = S3Front.Deletes.class,
      names = {"NOT_IMPLEMENTED", "IGNORED"})
  void deletesTheOwnedObjectAndNeverAForeignOne(S3Front.Deletes store) {
    start(store, "allow");
    String bucket = bucket();
    s3.createBucket(b -> b.bucket(bucket));
    s3.putObject(b -> b.bucket(bucket).key("foreign.txt"), RequestBody.fromString("not yours"));
    BuildAsset owned = asset("owned", bucket, "owned.txt");
    BuildAsset foreign = asset("foreign", bucket, "foreign.txt");
    cluster.awaitReady(owned, "Uploaded");
    cluster.awaitReady(foreign, "Conflict");

    for (BuildAsset asset : List.of(owned, foreign)) {
      k8s.resource(asset).delete();
      await().atMost(KubeApi.WAIT).until(() -> k8s.resource(asset).get() == null);
    }

    assertThat(keys(bucket)).containsExactly("foreign.txt");
    assertThat(read(bucket, "foreign.txt")).isEqualTo("not yours");
    assertThat(cluster.events("owned"))
        .contains("Warning UnsafeDelete: The S3 store at " + front.endpoint())
        .contains("Normal Deleted: Deleted s3://" + bucket + "/owned.txt");
  }

  @Test
  void refusingUnsafeDeletesKeepsTheObjectAndSaysWhyUntilTheUserActs() {
    start(S3Front.Deletes.NOT_IMPLEMENTED, "refuse");
    String bucket = bucket();
    s3.createBucket(b -> b.bucket(bucket));
    BuildAsset asset = asset("cautious", bucket, "kept.txt");
    cluster.awaitReady(asset, "Uploaded");

    k8s.resource(asset).delete();
    var waiting = cluster.awaitReady(asset, "UnsafeDeleteRefused");

    assertThat(Resources.condition(waiting, "Ready").orElseThrow().getMessage())
        .contains("s3://" + bucket + "/kept.txt is kept")
        .contains("501")
        .contains("spec.deletionPolicy: Retain");
    assertThat(waiting.getMetadata().getDeletionTimestamp()).isNotNull();
    assertThat(keys(bucket)).containsExactly("kept.txt");

    // The user lets it go with deletionPolicy: Retain: the BuildAsset goes, the object stays.
    k8s.resources(BuildAsset.class)
        .inNamespace(cluster.namespace())
        .withName("cautious")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"deletionPolicy\":\"Retain\"}}");
    await().atMost(KubeApi.WAIT).until(() -> k8s.resource(asset).get() == null);
    assertThat(keys(bucket)).containsExactly("kept.txt");
  }

  private void start(S3Front.Deletes store, String unsafeDeletes) {
    front = S3Front.before(MotoServer.get().endpoint(), store);
    AwsSettings direct = new AwsSettings();
    direct.setEndpoint(MotoServer.get().endpoint());
    direct.setRegion("us-east-1");
    moto = new AwsClients(direct);
    String namespace = KubeApi.get().newNamespace("unsafe-deletes");
    cluster = new Cluster(k8s, namespace);
    operator =
        InProcessOperator.start(
            List.of(),
            Map.of(
                "buildserver.aws.endpoint",
                front.endpoint().toString(),
                "buildserver.s3.unsafe-deletes",
                unsafeDeletes),
            namespace);
    s3 = moto.s3("us-east-1"); // the test's own view: straight to moto, not through the front
  }

  private BuildAsset asset(String name, String bucket, String key) {
    return cluster.create(
        BuildAsset.class,
        "metadata: {name: %s}\nspec: {bucket: %s, key: %s, source: {inline: x}}"
            .formatted(name, bucket, key));
  }

  private List<String> keys(String bucket) {
    return s3.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(o -> o.key()).toList();
  }

  private String read(String bucket, String key) {
    return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
  }

  private static String bucket() {
    return "unsafe-deletes-" + BUCKETS.incrementAndGet() + "-" + System.nanoTime() % 100000;
  }
}
