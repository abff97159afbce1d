package dev.buildserver.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.testing.MotoExtension;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.S3Front;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The README's S3 compatibility matrix, measured: each S3 feature the operator leans on and each
 * promise it makes, tried against the store under test (moto under {@code make test}, LocalStack
 * under {@code make test-localstack}, SeaweedFS under {@code make test-seaweedfs}) and, under moto,
 * also through a front that treats {@code If-Match} on DeleteObject as MinIO does. Each run writes
 * its column to operator/target/s3-compat/STORE.txt and fails when a store answers otherwise than
 * the matrix says.
 */
@Tag("component")
@ExtendWith(MotoExtension.class)
class S3CompatibilityTest {

  private static final String[] PROMISES = {
    "promise: a foreign object is never overwritten",
    "promise: an owned object is deleted with its owner",
    "promise: a foreign object is never deleted",
    "promise: an object changed outside is restored (drift)"
  };

  /** What the README says of each store, row by row; a store that changes fails this test. */
  private static final Map<String, Map<String, String>> MATRIX =
      Map.of(
          "moto",
          matrix("yes", "yes", "yes (412)", "yes", "yes", "yes", "no: accepted"),
          "minio-like",
          matrix("yes", "yes", "ignored: deletes anyway", "yes", "yes", "yes", "no: accepted"),
          "localstack",
          matrix("yes", "yes", "no: 501 NotImplemented", "yes", "yes", "yes", "yes"),
          "seaweedfs",
          matrix("yes", "yes", "yes (412)", "yes", "yes", "yes", "yes"));

  private static Map<String, String> matrix(String... features) {
    String[] rows = {
      "conditional create (If-None-Match: *)",
      "conditional overwrite (If-Match on PUT)",
      "conditional delete (If-Match on DELETE)",
      "versioned delete (by versionId)",
      "multipart upload",
      "server-side copy",
      "checksum headers (a wrong x-amz-checksum-sha256 is refused)"
    };
    Map<String, String> expected = new LinkedHashMap<>();
    for (int i = 0; i < rows.length; i++) {
      expected.put(rows[i], features[i]);
    }
    for (String promise : PROMISES) {
      expected.put(promise, "kept");
    }
    return expected;
  }

  @Test
  void theStoreUnderTestAnswersAsTheMatrixSays(MotoServer server) throws IOException {
    String store = System.getProperty(MotoServer.EMULATOR_PROPERTY, "moto");
    assertThat(measure(store, server.endpoint())).isEqualTo(MATRIX.get(store));
    if (store.equals("moto")) {
      try (S3Front minio = S3Front.before(server.endpoint(), S3Front.Deletes.IGNORED)) {
        server.reset();
        assertThat(measure("minio-like", minio.endpoint())).isEqualTo(MATRIX.get("minio-like"));
      }
    }
  }

  private static Map<String, String> measure(String store, URI endpoint) throws IOException {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(endpoint);
    settings.setRegion("us-east-1");
    Map<String, String> found = new LinkedHashMap<>();
    try (AwsClients aws = new AwsClients(settings)) {
      S3Client s3 = aws.s3("us-east-1");
      s3.createBucket(b -> b.bucket("compat"));
      s3.createBucket(b -> b.bucket("compat-versioned"));
      s3.putBucketVersioning(
          b ->
              b.bucket("compat-versioned")
                  .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
      String etag = put(s3, "compat", "a.txt", "first");
      found.put(
          "conditional create (If-None-Match: *)",
          refused(412, () -> putIf(s3, "a.txt", b -> b.ifNoneMatch("*"))));
      String mismatch = refused(412, () -> putIf(s3, "a.txt", b -> b.ifMatch("\"0000\"")));
      found.put(
          "conditional overwrite (If-Match on PUT)",
          mismatch.equals("yes") && accepted(() -> putIf(s3, "a.txt", b -> b.ifMatch(etag)))
              ? "yes"
              : "no: " + mismatch);
      found.put("conditional delete (If-Match on DELETE)", conditionalDelete(s3));
      found.put("versioned delete (by versionId)", versionedDelete(s3));
      found.put("multipart upload", multipart(s3));
      found.put("server-side copy", copy(s3));
      found.put(
          "checksum headers (a wrong x-amz-checksum-sha256 is refused)",
          refused(
              400,
              () ->
                  s3.putObject(
                      b ->
                          b.bucket("compat")
                              .key("sum.txt")
                              .checksumAlgorithm(ChecksumAlgorithm.SHA256)
                              .checksumSHA256(sha256Base64("something else")),
                      RequestBody.fromString("content"))));
      promises(aws, found);
    }
    Path out = RepoFiles.repo().resolve("operator/target/s3-compat/" + store + ".txt");
    Files.createDirectories(out.getParent());
    StringBuilder text = new StringBuilder();
    found.forEach((row, value) -> text.append(row).append(": ").append(value).append('\n'));
    Files.writeString(out, text);
    return found;
  }

  private static String conditionalDelete(S3Client s3) {
    put(s3, "compat", "d.txt", "x");
    try {
      s3.deleteObject(b -> b.bucket("compat").key("d.txt").ifMatch("\"0000\""));
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        return "yes (412)";
      }
      if (e.statusCode() == 501) {
        return "no: 501 NotImplemented";
      }
      return "no: " + e.statusCode();
    }
    return exists(s3, "compat", "d.txt") ? "no: answered 2xx, kept" : "ignored: deletes anyway";
  }

  private static String versionedDelete(S3Client s3) {
    String v1 =
        s3.putObject(b -> b.bucket("compat-versioned").key("v.txt"), RequestBody.fromString("1"))
            .versionId();
    s3.putObject(b -> b.bucket("compat-versioned").key("v.txt"), RequestBody.fromString("2"));
    s3.deleteObject(b -> b.bucket("compat-versioned").key("v.txt").versionId(v1));
    String now = s3.getObjectAsBytes(b -> b.bucket("compat-versioned").key("v.txt")).asUtf8String();
    long versions =
        s3.listObjectVersions(b -> b.bucket("compat-versioned").prefix("v.txt")).versions().size();
    return v1 != null && now.equals("2") && versions == 1 ? "yes" : "no";
  }

  private static String multipart(S3Client s3) {
    String id = s3.createMultipartUpload(b -> b.bucket("compat").key("m.bin")).uploadId();
    byte[] first = new byte[5 * 1024 * 1024];
    String e1 =
        s3.uploadPart(
                b -> b.bucket("compat").key("m.bin").uploadId(id).partNumber(1),
                RequestBody.fromBytes(first))
            .eTag();
    String e2 =
        s3.uploadPart(
                b -> b.bucket("compat").key("m.bin").uploadId(id).partNumber(2),
                RequestBody.fromString("tail"))
            .eTag();
    s3.completeMultipartUpload(
        b ->
            b.bucket("compat")
                .key("m.bin")
                .uploadId(id)
                .multipartUpload(
                    m ->
                        m.parts(
                            CompletedPart.builder().partNumber(1).eTag(e1).build(),
                            CompletedPart.builder().partNumber(2).eTag(e2).build())));
    long size = s3.headObject(b -> b.bucket("compat").key("m.bin")).contentLength();
    return size == first.length + 4 ? "yes" : "no: " + size + " bytes";
  }

  private static String copy(S3Client s3) {
    put(s3, "compat", "from.txt", "copied");
    s3.copyObject(
        b ->
            b.sourceBucket("compat")
                .sourceKey("from.txt")
                .destinationBucket("compat")
                .destinationKey("to.txt")
                .metadataDirective(MetadataDirective.REPLACE)
                .metadata(Map.of("owner", "me")));
    var head = s3.headObject(b -> b.bucket("compat").key("to.txt"));
    String body = s3.getObjectAsBytes(b -> b.bucket("compat").key("to.txt")).asUtf8String();
    return body.equals("copied") && "me".equals(head.metadata().get("owner")) ? "yes" : "no";
  }

  /** The operator's promises, through the one path it writes and deletes by. */
  private static void promises(AwsClients aws, Map<String, String> found) {
    S3Client s3 = aws.s3("us-east-1");
    OwnedObjects owned = new OwnedObjects(new ObjectStore(aws), null);
    ObjectOwner me = new ObjectOwner("team-a", "asset", "uid-me");
    ObjectOwner other = new ObjectOwner("team-b", "asset", "uid-other");
    put(s3, "compat", "foreign.txt", "not yours");
    var onForeign = owned.write(wanted(me, "foreign.txt", "mine", Optional.empty()));
    found.put(
        PROMISES[0],
        onForeign instanceof OwnedObjects.Refused && read(s3, "foreign.txt").equals("not yours")
            ? "kept"
            : "broken");

    var written = owned.write(wanted(me, "owned.txt", "mine", Optional.empty()));
    var deletion =
        owned.delete(me, AwsIdentity.OPERATOR, null, "compat", "owned.txt", Optional.empty());
    found.put(
        PROMISES[1],
        written instanceof OwnedObjects.Written
                && deletion.result() == OwnedObjects.Result.DELETED
                && !exists(s3, "compat", "owned.txt")
            ? "kept"
            : "broken");

    s3.putObject(
        b -> b.bucket("compat").key("theirs.txt").metadata(other.stamp(Map.of(), "fp")),
        RequestBody.fromString("theirs"));
    var notMine =
        owned.delete(me, AwsIdentity.OPERATOR, null, "compat", "theirs.txt", Optional.empty());
    found.put(
        PROMISES[2],
        notMine.result() == OwnedObjects.Result.NOT_OWNED && exists(s3, "compat", "theirs.txt")
            ? "kept"
            : "broken");

    var first =
        (OwnedObjects.Written) owned.write(wanted(me, "drift.txt", "mine", Optional.empty()));
    // Changed outside with its metadata kept (a copy over it, a hand edit): the owner's
    // fingerprint still matches, the ETag the owner recorded does not.
    s3.putObject(
        b -> b.bucket("compat").key("drift.txt").metadata(me.stamp(Map.of(), "fp-mine")),
        RequestBody.fromString("changed outside"));
    var restored = owned.write(wanted(me, "drift.txt", "mine", Optional.of(first.stored().etag())));
    found.put(
        PROMISES[3],
        restored instanceof OwnedObjects.Written w
                && w.drift().isPresent()
                && read(s3, "drift.txt").equals("mine")
            ? "kept"
            : "broken: " + restored + ", the key holds '" + read(s3, "drift.txt") + "'");
  }

  private static OwnedObjects.Wanted wanted(
      ObjectOwner owner, String key, String text, Optional<String> recordedEtag) {
    String fingerprint = "fp-" + text;
    return new OwnedObjects.Wanted(
        owner,
        new ObjectWrite(
            "compat", key, null, null, owner.stamp(Map.of(), fingerprint), Map.of(), null, false),
        new ObjectContent.Bytes(text.getBytes(StandardCharsets.UTF_8)),
        fingerprint,
        recordedEtag,
        false);
  }

  private static String put(S3Client s3, String bucket, String key, String text) {
    return s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(text)).eTag();
  }

  private static void putIf(
      S3Client s3,
      String key,
      java.util.function.Consumer<software.amazon.awssdk.services.s3.model.PutObjectRequest.Builder>
          condition) {
    s3.putObject(
        b -> {
          b.bucket("compat").key(key);
          condition.accept(b);
        },
        RequestBody.fromString("second"));
  }

  /** "yes" when the store refuses the call with {@code status}. */
  private static String refused(int status, Runnable call) {
    try {
      call.run();
      return "no: accepted";
    } catch (S3Exception e) {
      return e.statusCode() == status ? "yes" : "no: " + e.statusCode();
    }
  }

  private static boolean accepted(Runnable call) {
    try {
      call.run();
      return true;
    } catch (S3Exception e) {
      return false;
    }
  }

  private static boolean exists(S3Client s3, String bucket, String key) {
    try {
      s3.headObject(b -> b.bucket(bucket).key(key));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private static String read(S3Client s3, String key) {
    return s3.getObjectAsBytes(b -> b.bucket("compat").key(key)).asUtf8String();
  }

  private static String sha256Base64(String text) {
    try {
      return Base64.getEncoder()
          .encodeToString(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
