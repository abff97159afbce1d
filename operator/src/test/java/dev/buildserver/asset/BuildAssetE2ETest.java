package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.s3.Fingerprint;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.Resources;
import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** BuildAssets reconciled by the operator against the real API server and moto. */
class BuildAssetE2ETest {

  private static final AtomicInteger BUCKETS = new AtomicInteger();
  private static KubernetesClient k8s;
  private static Cluster cluster;
  private static String namespace;
  private static InProcessOperator operator;
  private static S3Client s3;
  private static StaticHttpServer web;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    k8s = api.client();
    namespace = api.newNamespace("assets");
    cluster = new Cluster(k8s, namespace);
    operator = InProcessOperator.start(namespace);
    s3 = operator.s3();
    web = StaticHttpServer.start();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (web != null) {
      web.close();
    }
  }

  @Test
  void uploadsInlineContentAndReportsEveryStatusField() {
    String bucket = bucket();
    BuildAsset asset =
        apply(
            """
            metadata: {name: inline}
            spec:
              bucket: %s
              key: notes/1.0.txt
              createBucket: true
              contentType: text/plain
              metadata: {release: "1.0"}
              tags: {team: platform}
              source: {inline: hello}
            """
                .formatted(bucket));

    BuildAsset ready = awaitReason(asset, "Uploaded");
    BuildAssetStatus status = ready.getStatus();
    assertThat(status.getLocation()).isEqualTo("s3://" + bucket + "/notes/1.0.txt");
    assertThat(status.getSize()).isEqualTo(5L);
    assertThat(status.getSha256()).isEqualTo(sha256("hello".getBytes(StandardCharsets.UTF_8)));
    assertThat(status.getContentType()).isEqualTo("text/plain");
    assertThat(status.getEtag()).isNotBlank();
    assertThat(status.getUploadedAt()).isNotBlank();
    assertThat(status.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());

    var head = s3.headObject(b -> b.bucket(bucket).key("notes/1.0.txt"));
    assertThat(head.metadata())
        .containsEntry("release", "1.0")
        .containsEntry(ObjectOwner.OWNER, namespace + "/inline")
        .containsEntry(ObjectOwner.UID, ready.getMetadata().getUid())
        .containsEntry(ObjectOwner.SHA256, status.getSha256());
    assertThat(s3.getObjectTagging(b -> b.bucket(bucket).key("notes/1.0.txt")).tagSet())
        .anyMatch(t -> t.key().equals("team") && t.value().equals("platform"));
    assertThat(read(bucket, "notes/1.0.txt")).isEqualTo("hello");
    awaitEvent("inline", "Uploaded", "Normal");
  }

  @Test
  void writesNothingWhenTheObjectIsUpToDateAndWritesAgainWhenTheSpecChanges()
      throws InterruptedException {
    String bucket = bucket();
    s3.createBucket(b -> b.bucket(bucket));
    s3.putBucketVersioning(
        b ->
            b.bucket(bucket)
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
    BuildAsset asset =
        apply(
            """
            metadata: {name: idempotent}
            spec: {bucket: %s, key: a.txt, source: {inline: one}}
            """
                .formatted(bucket));
    BuildAsset ready = awaitReason(asset, "Uploaded");
    assertThat(ready.getStatus().getVersionId()).isNotBlank();

    // Several resyncs (every 2 s) later: still one version, and the resource was not written.
    Thread.sleep(Duration.ofSeconds(7).toMillis());
    assertThat(versions(bucket, "a.txt")).isEqualTo(1);
    assertThat(k8s.resource(asset).get().getMetadata().getResourceVersion())
        .isEqualTo(ready.getMetadata().getResourceVersion());

    // Changing the content writes one more version.
    k8s.resources(BuildAsset.class)
        .inNamespace(namespace)
        .withName("idempotent")
        .edit(a -> withSource(a, new BuildAssetSource("two", null, null, null, null, null)));
    await()
        .atMost(KubeApi.WAIT)
        .until(
            () -> sha(k8s.resource(asset).get()),
            sha256("two".getBytes(StandardCharsets.UTF_8))::equals);
    assertThat(versions(bucket, "a.txt")).isEqualTo(2);
    assertThat(read(bucket, "a.txt")).isEqualTo("two");
  }

  @Test
  void uploadsAConfigMapKeyAgainWhenTheConfigMapChanges() {
    String bucket = bucket();
    k8s.resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("app-config")
                .withNamespace(namespace)
                .endMetadata()
                .addToData("app.properties", "color=blue\n")
                .build())
        .create();
    BuildAsset asset =
        apply(
            """
            metadata: {name: from-configmap}
            spec:
              bucket: %s
              key: config/app.properties
              createBucket: true
              source: {configMapKeyRef: {name: app-config, key: app.properties}}
            """
                .formatted(bucket));
    awaitReason(asset, "Uploaded");
    assertThat(read(bucket, "config/app.properties")).isEqualTo("color=blue\n");

    k8s.configMaps()
        .inNamespace(namespace)
        .withName("app-config")
        .edit(c -> new ConfigMapBuilder(c).addToData("app.properties", "color=green\n").build());
    await()
        .atMost(KubeApi.WAIT)
        .until(() -> read(bucket, "config/app.properties"), "color=green\n"::equals);
  }

  @Test
  void uploadsASecretKeyAndNeverCopiesContentIntoStatus() {
    String bucket = bucket();
    k8s.resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("signing")
                .withNamespace(namespace)
                .endMetadata()
                .addToData(
                    "key.pem",
                    Base64.getEncoder()
                        .encodeToString("s3cr3t-material".getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();
    BuildAsset asset =
        apply(
            """
            metadata: {name: from-secret}
            spec:
              bucket: %s
              key: keys/key.pem
              createBucket: true
              source: {secretKeyRef: {name: signing, key: key.pem}}
            """
                .formatted(bucket));
    BuildAsset ready = awaitReason(asset, "Uploaded");
    assertThat(read(bucket, "keys/key.pem")).isEqualTo("s3cr3t-material");
    assertThat(Serialization.asJson(ready.getStatus())).doesNotContain("s3cr3t");
    // Not even its digest: people who may read BuildAssets may not read the Secret.
    String digest = sha256("s3cr3t-material".getBytes(StandardCharsets.UTF_8));
    assertThat(ready.getStatus().getSha256()).isNull();
    assertThat(Serialization.asJson(ready)).doesNotContain(digest);
    assertThat(k8s.v1().events().inNamespace(namespace).list().getItems())
        .noneMatch(e -> e.getMessage() != null && e.getMessage().contains(digest));
  }

  @Test
  void reportsAMissingConfigMapAndUploadsOnceItExists() {
    String bucket = bucket();
    BuildAsset asset =
        apply(
            """
            metadata: {name: late-configmap}
            spec:
              bucket: %s
              key: late.txt
              createBucket: true
              source: {configMapKeyRef: {name: not-yet, key: data}}
            """
                .formatted(bucket));
    Condition missing = awaitCondition(asset, "SourceNotFound");
    assertThat(missing.getMessage()).contains("ConfigMap not-yet does not exist");
    awaitEvent("late-configmap", "SourceNotFound", "Warning");

    k8s.resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("not-yet")
                .withNamespace(namespace)
                .endMetadata()
                .addToData("data", "here now")
                .build())
        .create();
    awaitReason(asset, "Uploaded");
    assertThat(read(bucket, "late.txt")).isEqualTo("here now");
  }

  @Test
  void streamsALargeUrlSourceInPartsAndCopiesS3ObjectsServerSide() throws IOException {
    String bucket = bucket();
    long size = 20L * 1024 * 1024 + 12345; // three parts
    web.serve("/big.bin", StaticHttpServer.generated(size, 42));
    BuildAsset fromUrl =
        apply(
            """
            metadata: {name: from-url}
            spec:
              bucket: %s
              key: big.bin
              createBucket: true
              source: {url: "%s"}
            """
                .formatted(bucket, web.url("/big.bin")));
    BuildAsset ready = awaitReason(fromUrl, "Uploaded");
    String expected = sha256Of(StaticHttpServer.generated(size, 42));
    assertThat(ready.getStatus().getSize()).isEqualTo(size);
    assertThat(ready.getStatus().getSha256()).isEqualTo(expected);
    assertThat(ready.getStatus().getEtag()).contains("-3"); // a three-part multipart upload

    BuildAsset copy =
        apply(
            """
            metadata: {name: copy}
            spec:
              bucket: %s
              key: copy.bin
              source: {s3: {bucket: %s, key: big.bin}}
            """
                .formatted(bucket, bucket));
    BuildAsset copied = awaitReason(copy, "Uploaded");
    assertThat(copied.getStatus().getSize()).isEqualTo(size);
    var head = s3.headObject(b -> b.bucket(bucket).key("copy.bin"));
    assertThat(head.metadata()).containsEntry(ObjectOwner.OWNER, namespace + "/copy");
    assertThat(head.contentLength()).isEqualTo(size);
  }

  @Test
  void neverUploadsContentWhoseDigestDoesNotMatch() {
    String bucket = bucket();
    long size = 9L * 1024 * 1024; // multipart: the upload is aborted, never completed
    web.serve("/wrong.bin", StaticHttpServer.generated(size, 7));
    BuildAsset inline =
        apply(
            """
            metadata: {name: bad-digest-inline}
            spec:
              bucket: %s
              key: inline.txt
              createBucket: true
              sha256: "%s"
              source: {inline: actual content}
            """
                .formatted(bucket, "0".repeat(64)));
    BuildAsset url =
        apply(
            """
            metadata: {name: bad-digest-url}
            spec:
              bucket: %s
              key: url.bin
              createBucket: true
              sha256: "%s"
              source: {url: "%s"}
            """
                .formatted(bucket, "1".repeat(64), web.url("/wrong.bin")));

    assertThat(awaitCondition(inline, "ChecksumMismatch").getMessage())
        .contains("nothing was uploaded");
    awaitCondition(url, "ChecksumMismatch");
    assertThat(exists(bucket, "inline.txt")).isFalse();
    assertThat(exists(bucket, "url.bin")).isFalse();
    assertThat(s3.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
  }

  @Test
  void leavesAForeignObjectAloneUnlessOverwriteIsSet() {
    String bucket = bucket();
    s3.createBucket(b -> b.bucket(bucket));
    s3.putObject(b -> b.bucket(bucket).key("shared.txt"), RequestBody.fromString("someone else's"));
    BuildAsset asset =
        apply(
            """
            metadata: {name: careful}
            spec: {bucket: %s, key: shared.txt, source: {inline: mine}}
            """
                .formatted(bucket));

    Condition conflict = awaitCondition(asset, "Conflict");
    assertThat(conflict.getMessage())
        .contains("s3://" + bucket + "/shared.txt")
        .contains("spec.overwrite: true");
    assertThat(read(bucket, "shared.txt")).isEqualTo("someone else's");

    k8s.resources(BuildAsset.class)
        .inNamespace(namespace)
        .withName("careful")
        .edit(a -> withOverwrite(a, true));
    awaitReason(asset, "Uploaded");
    assertThat(read(bucket, "shared.txt")).isEqualTo("mine");
  }

  @Test
  void givesASecondBuildAssetOnTheSameKeyAConflictNamingTheFirst() {
    String bucket = bucket();
    BuildAsset first =
        apply(
            """
            metadata: {name: first}
            spec: {bucket: %s, key: same.txt, createBucket: true, source: {inline: first}}
            """
                .formatted(bucket));
    awaitReason(first, "Uploaded");
    BuildAsset second =
        apply(
            """
            metadata: {name: second}
            spec: {bucket: %s, key: same.txt, overwrite: true, source: {inline: second}}
            """
                .formatted(bucket));

    assertThat(awaitCondition(second, "Conflict").getMessage())
        .contains("BuildAsset " + namespace + "/first");
    assertThat(read(bucket, "same.txt")).isEqualTo("first");
  }

  // moto honours If-Match on DeleteObject; LocalStack 4.14.0 answers it with 501 NotImplemented, so
  // under make test-localstack the owned object goes through the fallback (ConditionalDeletes).
  @Test
  void deletesOnlyObjectsItOwnsAndKeepsRetainedOnes() {
    String bucket = bucket();
    s3.createBucket(b -> b.bucket(bucket));
    s3.putObject(b -> b.bucket(bucket).key("foreign.txt"), RequestBody.fromString("not yours"));
    BuildAsset owned =
        apply(
            "metadata: {name: owned}\nspec: {bucket: %s, key: owned.txt, source: {inline: x}}"
                .formatted(bucket));
    BuildAsset retained =
        apply(
            "metadata: {name: retained}\nspec: {bucket: %s, key: kept.txt, deletionPolicy: Retain, source: {inline: y}}"
                .formatted(bucket));
    BuildAsset foreign =
        apply(
            "metadata: {name: foreign}\nspec: {bucket: %s, key: foreign.txt, source: {inline: z}}"
                .formatted(bucket));
    awaitReason(owned, "Uploaded");
    awaitReason(retained, "Uploaded");
    awaitCondition(foreign, "Conflict");

    for (BuildAsset asset : new BuildAsset[] {owned, retained, foreign}) {
      k8s.resource(asset).delete();
      await().atMost(KubeApi.WAIT).until(() -> k8s.resource(asset).get() == null);
    }
    assertThat(exists(bucket, "owned.txt")).isFalse();
    assertThat(read(bucket, "kept.txt")).isEqualTo("y");
    assertThat(read(bucket, "foreign.txt")).isEqualTo("not yours");
  }

  @Test
  void deletingAPausedBuildAssetLeavesItsObject() {
    String bucket = bucket();
    BuildAsset asset =
        apply(
            "metadata: {name: paused-delete}\nspec: {bucket: %s, key: p.txt, createBucket: true, source: {inline: keep}}"
                .formatted(bucket));
    awaitReason(asset, "Uploaded");
    k8s.resources(BuildAsset.class)
        .inNamespace(namespace)
        .withName("paused-delete")
        .edit(
            a -> {
              a.getMetadata().setAnnotations(Map.of("buildserver.dev/paused", "true"));
              return a;
            });
    awaitReason(asset, "Paused");
    k8s.resource(asset).delete();
    await().atMost(KubeApi.WAIT).until(() -> k8s.resource(asset).get() == null);
    assertThat(read(bucket, "p.txt")).isEqualTo("keep");
  }

  @Test
  void deletionNeverHangsOnAMissingBucket() {
    BuildAsset asset =
        apply(
            "metadata: {name: no-bucket}\nspec: {bucket: %s, key: a.txt, source: {inline: x}}"
                .formatted(bucket()));
    Condition missing = awaitCondition(asset, "BucketNotFound");
    assertThat(missing.getMessage()).contains("spec.createBucket: true");

    k8s.resource(asset).delete();
    await().atMost(KubeApi.WAIT).until(() -> k8s.resource(asset).get() == null);
  }

  @Test
  void restoresItsObjectDeletedOrReplacedBehindItsBackButNeverClaimsAForeignOne() {
    String bucket = bucket();
    BuildAsset asset =
        apply(
            "metadata: {name: drift}\nspec: {bucket: %s, key: d.txt, createBucket: true, source: {inline: original}}"
                .formatted(bucket));
    awaitReason(asset, "Uploaded");

    s3.deleteObject(b -> b.bucket(bucket).key("d.txt"));
    await().atMost(KubeApi.WAIT).until(() -> exists(bucket, "d.txt"));
    assertThat(read(bucket, "d.txt")).isEqualTo("original");
    awaitEvent("drift", "DriftCorrected", "Normal");

    // Replaced with its owner metadata kept (a copy over it, say): still this BuildAsset's.
    var metadata = s3.headObject(b -> b.bucket(bucket).key("d.txt")).metadata();
    s3.putObject(
        b -> b.bucket(bucket).key("d.txt").metadata(metadata), RequestBody.fromString("tampered"));
    await().atMost(KubeApi.WAIT).until(() -> read(bucket, "d.txt"), "original"::equals);

    // Replaced without it: someone else's object now, whatever the status recorded.
    s3.putObject(b -> b.bucket(bucket).key("d.txt"), RequestBody.fromString("someone's"));
    Condition conflict = awaitCondition(asset, "Conflict");
    assertThat(conflict.getMessage()).contains("no owner metadata").contains("spec.overwrite");
    assertThat(read(bucket, "d.txt")).isEqualTo("someone's");
  }

  @Test
  void refusesLinkLocalAndUnreachableUrlsWithAClearCondition() {
    String bucket = bucket();
    BuildAsset metadata =
        apply(
            """
            metadata: {name: metadata-url}
            spec: {bucket: %s, key: m, createBucket: true, source: {url: "http://169.254.169.254/latest/meta-data/"}}
            """
                .formatted(bucket));
    BuildAsset closed =
        apply(
            """
            metadata: {name: closed-port}
            spec: {bucket: %s, key: c, createBucket: true, source: {url: "http://127.0.0.1:9/nothing"}}
            """
                .formatted(bucket));
    BuildAsset missing =
        apply(
            """
            metadata: {name: missing-url}
            spec: {bucket: %s, key: n, createBucket: true, source: {url: "%s"}}
            """
                .formatted(bucket, web.url("/no-such-file")));

    assertThat(awaitCondition(metadata, "UrlRefused").getMessage()).contains("link-local");
    assertThat(awaitCondition(closed, "UrlUnreachable").getMessage()).contains("127.0.0.1:9");
    assertThat(awaitCondition(missing, "UrlFailed").getMessage()).contains("HTTP 404");
    assertThat(exists(bucket, "m")).isFalse();
  }

  // --- helpers

  private static String bucket() {
    return "assets-e2e-" + BUCKETS.incrementAndGet();
  }

  private static BuildAsset apply(String yaml) {
    return cluster.create(BuildAsset.class, yaml);
  }

  private static BuildAsset awaitReason(BuildAsset asset, String reason) {
    return cluster.awaitReady(asset, reason);
  }

  private static Condition awaitCondition(BuildAsset asset, String reason) {
    return Resources.condition(awaitReason(asset, reason), "Ready").orElseThrow();
  }

  private static void awaitEvent(String name, String reason, String type) {
    Resources.awaitEvent(k8s, namespace, name, reason, type);
  }

  private static String sha(BuildAsset asset) {
    return asset.getStatus() == null ? null : asset.getStatus().getSha256();
  }

  private static BuildAsset withSource(BuildAsset asset, BuildAssetSource source) {
    var s = asset.getSpec();
    asset.setSpec(
        new BuildAssetSpec(
            s.bucket(),
            s.key(),
            s.region(),
            source,
            s.sha256(),
            s.contentType(),
            s.metadata(),
            s.tags(),
            s.createBucket(),
            s.deletionPolicy(),
            s.overwrite(),
            null));
    return asset;
  }

  private static BuildAsset withOverwrite(BuildAsset asset, boolean overwrite) {
    var s = asset.getSpec();
    asset.setSpec(
        new BuildAssetSpec(
            s.bucket(),
            s.key(),
            s.region(),
            s.source(),
            s.sha256(),
            s.contentType(),
            s.metadata(),
            s.tags(),
            s.createBucket(),
            s.deletionPolicy(),
            overwrite,
            null));
    return asset;
  }

  private static String read(String bucket, String key) {
    try {
      return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    } catch (NoSuchKeyException | NoSuchBucketException e) {
      return null;
    }
  }

  private static boolean exists(String bucket, String key) {
    return read(bucket, key) != null;
  }

  private static int versions(String bucket, String key) {
    return s3.listObjectVersions(b -> b.bucket(bucket).prefix(key)).versions().size();
  }

  static String sha256(byte[] data) {
    return Fingerprint.sha256Hex(data);
  }

  private static String sha256Of(StaticHttpServer.Body body) throws IOException {
    MessageDigest digest = Fingerprint.sha256();
    body.writeTo(
        new OutputStream() {
          @Override
          public void write(int b) {
            digest.update((byte) b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
          }
        });
    return HexFormat.of().formatHex(digest.digest());
  }
}
