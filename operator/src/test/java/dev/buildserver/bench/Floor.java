package dev.buildserver.bench;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.asset.BuildAssetStatus;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.function.BiFunction;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What converging N BuildAssets costs at the least, done by a plain client in 16 threads in a
 * namespace no operator watches, timed in the same run as the operator:
 *
 * <ul>
 *   <li>the full floor: per object a create, a label patch, a conditional PutObject of the same 1
 *       KiB ({@code If-None-Match: *}) and a status patch: every write an asset cannot do without,
 *       on the API server and on S3;
 *   <li>the API server's floor (the older figure): the same without the S3 write.
 * </ul>
 */
final class Floor {

  private final KubernetesClient client = KubeApi.get().client();
  private final BiFunction<String, String, BuildAsset> asset;
  private final String content;

  Floor(BiFunction<String, String, BuildAsset> asset, String content) {
    this.asset = asset;
    this.content = content;
  }

  /** Seconds for the four writes per object. */
  double full(int size) throws Exception {
    String namespace = KubeApi.get().newNamespace("floor-full-" + size);
    String bucket = "floor-" + namespace;
    try (S3Client s3 = s3()) {
      s3.createBucket(b -> b.bucket(bucket));
      long start = System.nanoTime();
      ConvergenceBench.parallel(
          size,
          i -> {
            String name = "floor-" + i;
            createAndLabel(namespace, name);
            s3.putObject(
                b -> b.bucket(bucket).key("assets/" + name + ".txt").ifNoneMatch("*"),
                RequestBody.fromString(content));
            writeStatus(namespace, name);
          });
      return (System.nanoTime() - start) / 1e9;
    }
  }

  /** Seconds for the three API server writes per object. */
  double apiServerOnly(int size) throws Exception {
    String namespace = KubeApi.get().newNamespace("floor-" + size);
    long start = System.nanoTime();
    ConvergenceBench.parallel(
        size,
        i -> {
          createAndLabel(namespace, "floor-" + i);
          writeStatus(namespace, "floor-" + i);
        });
    return (System.nanoTime() - start) / 1e9;
  }

  private void createAndLabel(String namespace, String name) {
    client.resource(asset.apply(namespace, name)).create();
    client
        .resources(BuildAsset.class)
        .inNamespace(namespace)
        .withName(name)
        .edit(
            a -> {
              a.getMetadata().setLabels(Map.of("written", "twice"));
              return a;
            });
  }

  private void writeStatus(String namespace, String name) {
    BuildAssetStatus status = new BuildAssetStatus();
    status.setObservedGeneration(1L);
    status.setSize((long) content.length());
    BuildAsset withStatus = asset.apply(namespace, name);
    withStatus.setStatus(status);
    client.resource(withStatus).patchStatus();
  }

  private static S3Client s3() {
    return S3Client.builder()
        .endpointOverride(MotoServer.get().endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClientBuilder(
            software.amazon.awssdk.http.apache.ApacheHttpClient.builder().maxConnections(32))
        .build();
  }
}
