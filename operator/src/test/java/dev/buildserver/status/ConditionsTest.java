package dev.buildserver.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  private static final Instant T1 = Instant.parse("2026-01-01T10:00:00Z");
  private static final Instant T2 = Instant.parse("2026-01-01T11:00:00Z");

  @Test
  void addsAMissingCondition() {
    List<Condition> result =
        Conditions.upsert(List.of(), ConditionSpec.ready("Uploaded", "done"), 3, T1);

    assertThat(result).hasSize(1);
    Condition ready = result.get(0);
    assertThat(ready.getType()).isEqualTo("Ready");
    assertThat(ready.getStatus()).isEqualTo("True");
    assertThat(ready.getReason()).isEqualTo("Uploaded");
    assertThat(ready.getMessage()).isEqualTo("done");
    assertThat(ready.getObservedGeneration()).isEqualTo(3L);
    assertThat(ready.getLastTransitionTime()).isEqualTo("2026-01-01T10:00:00Z");
  }

  @Test
  void keepsTheTransitionTimeWhileTheStatusStaysTheSame() {
    List<Condition> first =
        Conditions.upsert(List.of(), ConditionSpec.notReady("Conflict", "a"), 1, T1);
    List<Condition> second =
        Conditions.upsert(first, ConditionSpec.notReady("AccessDenied", "b"), 2, T2);

    assertThat(second.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T10:00:00Z");
    assertThat(second.get(0).getReason()).isEqualTo("AccessDenied");
    assertThat(second.get(0).getObservedGeneration()).isEqualTo(2L);
  }

  @Test
  void movesTheTransitionTimeWhenTheStatusFlips() {
    List<Condition> first =
        Conditions.upsert(List.of(), ConditionSpec.notReady("Conflict", "a"), 1, T1);
    List<Condition> second = Conditions.upsert(first, ConditionSpec.ready("Uploaded", "b"), 1, T2);

    assertThat(second.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T11:00:00Z");
  }

  @Test
  void leavesOtherConditionTypesAlone() {
    List<Condition> withComplete =
        Conditions.upsert(
            List.of(),
            new ConditionSpec("Complete", ConditionSpec.Status.True, "Finished", "x"),
            1,
            T1);
    List<Condition> result =
        Conditions.upsert(withComplete, ConditionSpec.ready("Uploaded", "y"), 1, T2);

    assertThat(result).extracting(Condition::getType).containsExactly("Complete", "Ready");
  }

  @Test
  void reportsAChangeOnlyWhenStatusReasonMessageOrGenerationDiffer() {
    ConditionSpec wanted = ConditionSpec.ready("Uploaded", "done");
    List<Condition> current = Conditions.upsert(List.of(), wanted, 1, T1);

    assertThat(Conditions.changes(current, wanted, 1)).isFalse();
    assertThat(Conditions.changes(current, wanted, 2)).isTrue();
    assertThat(Conditions.changes(current, ConditionSpec.ready("Uploaded", "other"), 1)).isTrue();
    assertThat(Conditions.changes(List.of(), wanted, 1)).isTrue();
  }

  @Test
  void pausedIsNotAWarning() {
    assertThat(Pause.condition().isWarning()).isFalse();
    assertThat(ConditionSpec.notReady("Conflict", "x").isWarning()).isTrue();
    assertThat(ConditionSpec.ready("Uploaded", "x").isWarning()).isFalse();
  }
}
