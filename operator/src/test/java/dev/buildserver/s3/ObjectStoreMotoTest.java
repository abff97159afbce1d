package dev.buildserver.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.asset.AssetContent;
import dev.buildserver.asset.UrlSource;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.status.Problem;
import dev.buildserver.testing.LoopbackOutbound;
import dev.buildserver.testing.MotoExtension;
import dev.buildserver.testing.MotoServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** ObjectStore against moto: conditional writes, listings, regions. */
@Tag("component") // needs moto, the mock API server or child JVMs: not in make test-unit
@ExtendWith(MotoExtension.class)
class ObjectStoreMotoTest {

  private AwsClients aws;
  private ObjectStore store;
  private UrlSource urls;

  @BeforeEach
  void start(MotoServer moto) {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(moto.endpoint());
    settings.setRegion("us-east-1");
    aws = new AwsClients(settings);
    store = new ObjectStore(aws);
    urls = new UrlSource(LoopbackOutbound.http());
    aws.s3("us-east-1").createBucket(b -> b.bucket("store"));
  }

  @AfterEach
  void stop() {
    aws.close();
  }

  private static ObjectWrite write(String key) {
    return new ObjectWrite("store", key, null, null, Map.of(), Map.of(), null, false);
  }

  private static ObjectContent bytes(String text) {
    return new ObjectContent.Bytes(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void abortsOnlyTheRecordedUploadAndLeavesOtherWritersUploadsToTheSameKey() {
    var s3 = aws.s3("us-east-1");
    // A process killed mid-upload (kill -9) leaves its parts in S3, billed until aborted.
    String left = s3.createMultipartUpload(b -> b.bucket("store").key("big.bin")).uploadId();
    s3.uploadPart(
        b -> b.bucket("store").key("big.bin").uploadId(left).partNumber(1),
        software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[1024]));
    // Another writer (the CLI, another shard) is uploading to the same key right now.
    String other = s3.createMultipartUpload(b -> b.bucket("store").key("big.bin")).uploadId();

    assertThat(store.abortUpload(AwsIdentity.OPERATOR, "us-east-1", "store", "big.bin", left))
        .isTrue();

    assertThat(s3.listMultipartUploads(b -> b.bucket("store")).uploads())
        .extracting(u -> u.uploadId())
        .containsExactly(other);
    assertThat(store.abortUpload(AwsIdentity.OPERATOR, "us-east-1", "store", "big.bin", left))
        .isFalse();
  }

  @Test
  void theConfiguredPartSizeSplitsAStreamedUpload() {
    UploadSettings settings = new UploadSettings();
    settings.setPartSizeMib(5);
    settings.setPartsInFlight(3);
    ObjectStore fiveMib =
        new ObjectStore(
            aws, settings, BuildserverMetrics.unregistered(), ConditionalDeletes.unregistered());
    byte[] data = new byte[11 * 1024 * 1024]; // 5 + 5 + 1 MiB

    StoredObject stored =
        fiveMib.put(
            write("parts.bin"),
            new ObjectContent.Stream(
                () -> new ObjectContent.Opened(new ByteArrayInputStream(data), Optional.empty())));

    fiveMib.close();
    assertThat(stored.etag()).as("a multipart ETag ends with its part count").endsWith("-3");
    assertThat(stored.size()).isEqualTo(data.length);
    settings.setPartSizeMib(1); // below S3's least part size
    settings.setPartsInFlight(100);
    assertThat(settings.getPartSizeMib()).isEqualTo(5);
    assertThat(settings.getPartsInFlight()).isEqualTo(8);
  }

  @Test
  void aStreamedWriteAndADeleteLeaveAnotherWritersUploadToTheKeyAndRecordTheirOwn() {
    var s3 = aws.s3("us-east-1");
    // The CLI (or another shard) is uploading to the key in parts right now.
    String other = s3.createMultipartUpload(b -> b.bucket("store").key("shared.bin")).uploadId();
    OwnedObjects owned = new OwnedObjects(store, null);
    ObjectOwner me = new ObjectOwner("ns", "asset", "uid-1");
    List<String> started = new ArrayList<>();
    byte[] data = new byte[ObjectStore.PART_SIZE + 1];
    var outcome =
        owned.write(
            new OwnedObjects.Wanted(
                me,
                new ObjectWrite(
                    "store",
                    "shared.bin",
                    null,
                    null,
                    me.stamp(Map.of(), "fp"),
                    Map.of(),
                    null,
                    false),
                new ObjectContent.Stream(
                    () ->
                        new ObjectContent.Opened(new ByteArrayInputStream(data), Optional.empty())),
                "fp",
                Optional.empty(),
                false,
                Optional.empty(),
                started::add));

    assertThat(outcome).isInstanceOf(OwnedObjects.Written.class);
    assertThat(started).hasSize(1).doesNotContain(other);
    assertThat(s3.listMultipartUploads(b -> b.bucket("store")).uploads())
        .extracting(u -> u.uploadId())
        .containsExactly(other);
    assertThat(
            owned.delete(me, AwsIdentity.OPERATOR, null, "store", "shared.bin", Optional.empty()))
        .extracting(OwnedObjects.Deletion::result)
        .isEqualTo(OwnedObjects.Result.DELETED);
    assertThat(s3.listMultipartUploads(b -> b.bucket("store")).uploads())
        .extracting(u -> u.uploadId())
        .containsExactly(other);
  }

  @Test
  void neverOverwritesAnObjectThatAppearedAfterItLooked() {
    store.put(write("k"), bytes("someone else's")); // appears between the HEAD and the write
    assertThatThrownBy(() -> store.put(write("k").onlyIf(null), bytes("mine")))
        .isInstanceOf(Problem.class)
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("Conflict"))
        .satisfies(e -> assertThat(((Problem) e).retryable()).isTrue());
    assertThat(aws.s3("us-east-1").getObjectAsBytes(b -> b.bucket("store").key("k")).asUtf8String())
        .isEqualTo("someone else's");
  }

  @Test
  void overwritesOnlyTheObjectItSaw() {
    StoredObject seen = store.put(write("k"), bytes("v1"));
    store.put(write("k"), bytes("v2 by someone else"));
    assertThatThrownBy(() -> store.put(write("k").onlyIf(seen.etag()), bytes("v3")))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("changed while it was being written");
    StoredObject current = store.put(write("k"), bytes("v4"));
    assertThat(store.put(write("k").onlyIf(current.etag()), bytes("v5")).size()).isEqualTo(2);
  }

  @Test
  void retriesAUrlThatAnswersTooManyRequestsButNotOneThatIsMissing() throws Exception {
    var server =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/busy",
        e -> {
          e.sendResponseHeaders(429, -1);
          e.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      assertThatThrownBy(
              () ->
                  store.put(write("u"), new AssetContent.Url(base + "/busy").toObjectContent(urls)))
          .isInstanceOf(Problem.class)
          .hasMessageContaining("HTTP 429")
          .satisfies(e -> assertThat(((Problem) e).retryable()).isTrue());
      assertThatThrownBy(
              () ->
                  store.put(
                      write("u"), new AssetContent.Url(base + "/missing").toObjectContent(urls)))
          .isInstanceOf(Problem.class)
          .hasMessageContaining("HTTP 404")
          .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void listsAtMostTheLimitInKeyOrder() {
    for (String key : new String[] {"c", "a", "b"}) {
      store.put(write(key), bytes(key));
    }
    assertThat(store.list(AwsIdentity.OPERATOR, null, "store", null, 2))
        .extracting(ObjectStore.Listed::key)
        .containsExactly("a", "b");
  }

  @Test
  void refusesUnknownRegionsInsteadOfMakingAClientForEach() {
    assertThatThrownBy(() -> store.list(AwsIdentity.OPERATOR, "not-a-region-42", "store", null, 1))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("'not-a-region-42' is not an AWS region");
  }
}
