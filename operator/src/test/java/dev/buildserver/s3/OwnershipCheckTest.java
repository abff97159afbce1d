package dev.buildserver.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OwnershipCheckTest {

  private static final String LOCATION = "s3://b/k";
  private static final ObjectOwner ME = new ObjectOwner("ns", "me", "uid-me");
  private static final ObjectOwner OTHER = new ObjectOwner("ns", "other", "uid-other");

  private static ObjectInfo object(String etag, Map<String, String> metadata) {
    return new ObjectInfo(etag, null, 1, "text/plain", Instant.EPOCH, metadata);
  }

  private static OwnershipCheck.Decision decide(
      ObjectInfo existing, String recordedEtag, boolean otherAlive, boolean overwrite) {
    return OwnershipCheck.decide(
        LOCATION,
        Optional.ofNullable(existing),
        ME,
        "fp",
        Optional.ofNullable(recordedEtag),
        otherAlive,
        overwrite);
  }

  @Test
  void writesAMissingObject() {
    assertThat(decide(null, null, false, false))
        .isEqualTo(new OwnershipCheck.Write(Optional.empty()));
  }

  @Test
  void restoresAnObjectDeletedAfterItWasWritten() {
    var decision = (OwnershipCheck.Write) decide(null, "e1", false, false);
    assertThat(decision.drift()).contains("the object was deleted outside the operator");
  }

  @Test
  void writesNothingWhenItsOwnObjectHasTheDesiredFingerprint() {
    ObjectInfo mine = object("e1", ME.stamp(Map.of(), "fp"));
    assertThat(decide(mine, "e1", false, false)).isInstanceOf(OwnershipCheck.UpToDate.class);
    assertThat(decide(mine, null, false, false)).isInstanceOf(OwnershipCheck.UpToDate.class);
  }

  @Test
  void writesAgainWhenTheSpecChanged() {
    ObjectInfo mine = object("e1", ME.stamp(Map.of(), "old-fp"));
    assertThat(decide(mine, "e1", false, false))
        .isEqualTo(new OwnershipCheck.Write(Optional.empty()));
  }

  @Test
  void restoresItsOwnObjectReplacedOutsideWithItsMetadata() {
    ObjectInfo replaced = object("e2", ME.stamp(Map.of(), "fp"));
    var decision = (OwnershipCheck.Write) decide(replaced, "e1", false, false);
    assertThat(decision.drift()).contains("the object was replaced outside the operator");
  }

  @Test
  void aRecordedEtagNeverMakesAnObjectWithoutOwnerMetadataItsOwn() {
    // A status patched by hand (kubectl edit --subresource=status) can claim any location.
    ObjectInfo foreign = object("e2", Map.of());
    var conflict = (OwnershipCheck.Conflict) decide(foreign, "e2", false, false);
    assertThat(conflict.message()).contains("no owner metadata").contains("spec.overwrite: true");
    assertThat(decide(foreign, OwnershipCheck.ANY_ETAG, false, false))
        .isInstanceOf(OwnershipCheck.Conflict.class);
  }

  @Test
  void aRecordedEtagNeverTakesTheObjectOfADeletedOwner() {
    ObjectInfo orphan = object("e3", OTHER.stamp(Map.of(), "fp"));
    assertThat(decide(orphan, "e3", false, false)).isInstanceOf(OwnershipCheck.Conflict.class);
  }

  @Test
  void leavesAForeignObjectAloneUnlessOverwrite() {
    ObjectInfo foreign = object("e2", Map.of("x", "y"));
    var conflict = (OwnershipCheck.Conflict) decide(foreign, null, false, false);
    assertThat(conflict.message()).contains(LOCATION).contains("spec.overwrite: true");
    assertThat(decide(foreign, null, false, true))
        .isEqualTo(new OwnershipCheck.Write(Optional.empty()));
  }

  @Test
  void neverTakesAnObjectFromAnotherLiveBuildAssetEvenWithOverwrite() {
    ObjectInfo theirs = object("e3", OTHER.stamp(Map.of(), "fp"));
    var conflict = (OwnershipCheck.Conflict) decide(theirs, null, true, true);
    assertThat(conflict.message()).contains("BuildAsset ns/other");
  }

  @Test
  void treatsTheObjectOfADeletedBuildAssetAsForeign() {
    ObjectInfo orphan = object("e3", OTHER.stamp(Map.of(), "fp"));
    var conflict = (OwnershipCheck.Conflict) decide(orphan, null, false, false);
    assertThat(conflict.message()).contains("which no longer exists");
    assertThat(decide(orphan, null, false, true)).isInstanceOf(OwnershipCheck.Write.class);
  }
}
