package dev.buildserver.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.testing.MotoExtension;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.S3Front;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Deletes on stores that do not honour {@code If-Match} on DeleteObject, through a front before
 * moto that answers 501 to it (LocalStack 4.14) or drops it (MinIO): an owned object still goes, a
 * foreign one never does, and what the store does is learnt once and told once.
 */
@Tag("component")
@ExtendWith(MotoExtension.class)
class ConditionalDeletesMotoTest {

  private static final ObjectOwner ME = new ObjectOwner("team-a", "asset", "uid-1");
  private static final ObjectOwner OTHER = new ObjectOwner("team-b", "asset", "uid-2");

  private S3Client moto; // the test's own view, without the front
  private AwsClients direct;
  private AwsClients fronted;
  private S3Front front;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void start(MotoServer server) {
    direct = clients(server.endpoint());
    moto = direct.s3("us-east-1");
    moto.createBucket(b -> b.bucket("shared"));
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stop() {
    direct.close();
    if (fronted != null) {
      fronted.close();
    }
    if (front != null) {
      front.close();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = S3Front.Deletes.class,
      names = {"NOT_IMPLEMENTED", "IGNORED"})
  void deletesAnOwnedObjectAfterReadingItsOwnerAndSaysSoOncePerEndpoint(S3Front.Deletes kind) {
    OwnedObjects owned = through(kind, S3Settings.UnsafeDeletes.ALLOW);
    put("mine/1.txt", ME);
    put("mine/2.txt", ME);

    var first = delete(owned, "mine/1.txt");
    var second = delete(owned, "mine/2.txt");

    assertThat(first.result()).isEqualTo(OwnedObjects.Result.DELETED);
    assertThat(second.result()).isEqualTo(OwnedObjects.Result.DELETED);
    assertThat(exists("mine/1.txt")).isFalse();
    assertThat(exists("mine/2.txt")).isFalse();
    assertThat(first.warning())
        .hasValueSatisfying(
            w ->
                assertThat(w)
                    .contains(front.endpoint().toString())
                    .contains(kind == S3Front.Deletes.NOT_IMPLEMENTED ? "501" : "ignores"));
    assertThat(second.warning()).isEmpty(); // once per endpoint
    assertThat(
            registry
                .get("buildserver.s3.conditional.deletes")
                .tag("endpoint", front.endpoint().toString())
                .tag(
                    "support",
                    kind == S3Front.Deletes.NOT_IMPLEMENTED ? "not_implemented" : "ignored")
                .gauge()
                .value())
        .isEqualTo(1.0);
    assertThat(front.conditionalDeletes()).isEqualTo(1); // the one probe, then none
    assertThat(keys()).isEmpty(); // the probe's marker is gone too
  }

  @ParameterizedTest
  @EnumSource(
      value = S3Front.Deletes.class,
      names = {"NOT_IMPLEMENTED", "IGNORED"})
  void neverDeletesAForeignObject(S3Front.Deletes kind) {
    OwnedObjects owned = through(kind, S3Settings.UnsafeDeletes.ALLOW);
    put("theirs.txt", OTHER);
    moto.putObject(b -> b.bucket("shared").key("plain.txt"), RequestBody.fromString("no owner"));

    assertThat(delete(owned, "theirs.txt").result()).isEqualTo(OwnedObjects.Result.NOT_OWNED);
    assertThat(delete(owned, "plain.txt").result()).isEqualTo(OwnedObjects.Result.NOT_OWNED);

    assertThat(exists("theirs.txt")).isTrue();
    assertThat(exists("plain.txt")).isTrue();
  }

  @ParameterizedTest
  @EnumSource(
      value = S3Front.Deletes.class,
      names = {"NOT_IMPLEMENTED", "IGNORED"})
  void keepsTheObjectAndSaysWhyWhenUnsafeDeletesAreRefused(S3Front.Deletes kind) {
    OwnedObjects owned = through(kind, S3Settings.UnsafeDeletes.REFUSE);
    put("kept.txt", ME);

    assertThatThrownBy(() -> delete(owned, "kept.txt"))
        .isInstanceOfSatisfying(
            Problem.class,
            p -> {
              assertThat(p.kind()).isEqualTo(Reason.UnsafeDeleteRefused);
              assertThat(p.retryable()).isFalse();
              assertThat(p.getMessage())
                  .contains("s3://shared/kept.txt is kept")
                  .contains("buildserver.s3.unsafe-deletes is refuse");
            });
    assertThat(exists("kept.txt")).isTrue();
  }

  @Test
  void aVersionedBucketDeletesTheVersionReadWithoutProbing() {
    moto.putBucketVersioning(
        b ->
            b.bucket("shared")
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
    OwnedObjects owned = through(S3Front.Deletes.NOT_IMPLEMENTED, S3Settings.UnsafeDeletes.REFUSE);
    put("v.txt", ME);

    assertThat(delete(owned, "v.txt").result()).isEqualTo(OwnedObjects.Result.DELETED);

    assertThat(front.conditionalDeletes()).isZero();
    assertThat(exists("v.txt")).isFalse();
  }

  @Test
  void aStoreThatHonoursConditionsIsProbedOnceAndDeletesOnlyWhatItRead() {
    ConditionalDeletes deletes = new ConditionalDeletes(registry, new S3Settings());
    ObjectStore store = new ObjectStore(direct, deletes);
    put("a.txt", ME);
    String stale = moto.headObject(b -> b.bucket("shared").key("a.txt")).eTag();
    put("a.txt", ME, "rewritten by someone else");

    var plan = store.planDelete(AwsIdentity.OPERATOR, null, "shared", "a.txt");
    var kept =
        store.deleteExactly(AwsIdentity.OPERATOR, null, "shared", "a.txt", stale, null, plan);

    assertThat(plan.probed()).isTrue();
    assertThat(kept.deleted()).isFalse();
    assertThat(kept.warning()).isEmpty();
    assertThat(exists("a.txt")).isTrue();
    assertThat(deletes.known(MotoServer.get().endpoint().toString(), "shared"))
        .contains(ConditionalDeletes.Support.HONOURED);
    assertThat(keys()).containsExactly("a.txt"); // the probe's marker is gone
    assertThat(store.planDelete(AwsIdentity.OPERATOR, null, "shared", "a.txt").probed())
        .isFalse(); // learnt once
  }

  @ParameterizedTest
  @EnumSource(
      value = S3Front.Deletes.class,
      names = {"NOT_IMPLEMENTED", "IGNORED"})
  void aKeyTooLongForAMarkerBesideItIsProbedAtTheRoot(S3Front.Deletes kind) {
    OwnedObjects owned = through(kind, S3Settings.UnsafeDeletes.ALLOW);
    String key = "d".repeat(1000) + "/f.txt"; // a marker in its folder would pass 1024 bytes
    put(key, ME);

    assertThat(delete(owned, key).result()).isEqualTo(OwnedObjects.Result.DELETED);

    assertThat(keys()).isEmpty();
  }

  @Test
  void refusingUnsafeDeletesKeepsTheObjectWhenTheStoreCannotBeAsked() {
    OwnedObjects owned = through(S3Front.Deletes.IGNORED, S3Settings.UnsafeDeletes.REFUSE);
    front.denyingWrites(".buildserver-delete-probe-"); // a policy that allows only some keys
    put("asked.txt", ME);

    assertThatThrownBy(() -> delete(owned, "asked.txt"))
        .isInstanceOfSatisfying(
            Problem.class,
            p -> {
              assertThat(p.kind()).isEqualTo(Reason.UnsafeDeleteRefused);
              assertThat(p.getMessage()).contains("could not be asked");
            });
    assertThat(keys()).containsExactly("asked.txt");
  }

  @Test
  void allowingUnsafeDeletesLearnsFromTheDeleteWhenTheStoreCannotBeAsked() {
    OwnedObjects owned = through(S3Front.Deletes.NOT_IMPLEMENTED, S3Settings.UnsafeDeletes.ALLOW);
    front.denyingWrites(".buildserver-delete-probe-");
    put("learnt.txt", ME);

    var deletion = delete(owned, "learnt.txt");

    assertThat(deletion.result()).isEqualTo(OwnedObjects.Result.DELETED);
    assertThat(deletion.warning()).hasValueSatisfying(w -> assertThat(w).contains("501"));
    assertThat(keys()).isEmpty();
  }

  private java.util.List<String> keys() {
    return moto.listObjectsV2(b -> b.bucket("shared")).contents().stream()
        .map(o -> o.key())
        .toList();
  }

  private OwnedObjects through(S3Front.Deletes kind, S3Settings.UnsafeDeletes mode) {
    front = S3Front.before(MotoServer.get().endpoint(), kind);
    fronted = clients(front.endpoint());
    S3Settings settings = new S3Settings();
    settings.setUnsafeDeletes(mode.name().toLowerCase(java.util.Locale.ROOT));
    return new OwnedObjects(
        new ObjectStore(fronted, new ConditionalDeletes(registry, settings)), null);
  }

  private static OwnedObjects.Deletion delete(OwnedObjects owned, String key) {
    return owned.delete(ME, AwsIdentity.OPERATOR, null, "shared", key, Optional.empty());
  }

  private void put(String key, ObjectOwner owner) {
    put(key, owner, "content of " + key);
  }

  private void put(String key, ObjectOwner owner, String text) {
    moto.putObject(
        b -> b.bucket("shared").key(key).metadata(owner.stamp(Map.of(), "fp")),
        RequestBody.fromString(text));
  }

  private boolean exists(String key) {
    try {
      moto.headObject(b -> b.bucket("shared").key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private static AwsClients clients(URI endpoint) {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(endpoint);
    settings.setRegion("us-east-1");
    return new AwsClients(settings);
  }
}
