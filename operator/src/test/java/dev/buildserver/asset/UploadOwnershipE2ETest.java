package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The operator aborts only the multipart uploads its BuildAsset recorded: while {@code builder
 * put-asset} streams a large file to a key in parts, a BuildAsset that writes the same key leaves
 * the CLI's upload alone, and the CLI completes it. Before, the asset's write aborted every
 * unfinished upload of its key, and the CLI failed with NoSuchUpload.
 */
class UploadOwnershipE2ETest {

  private static final int SIZE = 9 * 1024 * 1024; // more than one 8 MiB part
  private static final String BUCKET = "upload-ownership";

  private static Cluster cluster;
  private static InProcessOperator operator;
  private static HttpServer web;
  private static final CountDownLatch release = new CountDownLatch(1);

  @BeforeAll
  static void start() throws IOException {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("uploads"));
    operator = InProcessOperator.start(cluster.namespace());
    operator.s3().createBucket(b -> b.bucket(BUCKET));
    web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    web.setExecutor(Executors.newFixedThreadPool(4));
    // For the CLI: the first part at once, the rest only once the test says so.
    web.createContext(
        "/held.bin",
        exchange -> {
          exchange.sendResponseHeaders(200, SIZE);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(new byte[SIZE - 1024]);
            out.flush();
            release.await(2, TimeUnit.MINUTES);
            out.write(new byte[1024]);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    // For the BuildAsset: all at once.
    web.createContext(
        "/whole.bin",
        exchange -> {
          exchange.sendResponseHeaders(200, SIZE);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(new byte[SIZE]);
          }
        });
    web.start();
  }

  @AfterAll
  static void stop() {
    release.countDown();
    if (web != null) {
      web.stop(0);
    }
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void aBuildAssetLeavesTheClisUploadToItsKeyAloneAndTheCliCompletesIt() throws Exception {
    S3Client s3 = operator.s3();
    String base = "http://127.0.0.1:" + web.getAddress().getPort();
    // Its own thread: the CLI run blocks for up to two minutes, which on the common pool starves
    // the Kubernetes client's asynchronous steps on Java 25 (the create below timed out).
    ExecutorService cliThread = Executors.newSingleThreadExecutor();
    CompletableFuture<BuilderProcess.Result> cli =
        CompletableFuture.supplyAsync(
            () ->
                BuilderProcess.run(
                    BuilderProcess.awsEnv(),
                    new byte[0],
                    "put-asset",
                    "--bucket",
                    BUCKET,
                    "--key",
                    "shared.bin",
                    "--url",
                    base + "/held.bin"),
            cliThread);
    cliThread.shutdown(); // the one task still runs
    List<MultipartUpload> cliUploads =
        await().atMost(Duration.ofSeconds(60)).until(() -> uploads(s3), list -> !list.isEmpty());
    String cliUpload = cliUploads.get(0).uploadId();

    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: same-key}
            spec: {bucket: %s, key: shared.bin, source: {url: "%s/whole.bin"}}
            """
                .formatted(BUCKET, base));
    cluster.awaitReady(asset, "Uploaded");
    assertThat(uploads(s3))
        .as("the CLI's upload, still in flight after the BuildAsset wrote the key")
        .extracting(MultipartUpload::uploadId)
        .contains(cliUpload);

    release.countDown();
    BuilderProcess.Result result = cli.get(2, TimeUnit.MINUTES);
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(uploads(s3)).isEmpty();
  }

  private static List<MultipartUpload> uploads(S3Client s3) {
    return s3.listMultipartUploads(b -> b.bucket(BUCKET)).uploads();
  }
}
