package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import org.junit.jupiter.api.Test;

/** The heap ledger reads may hold together, and what a read that passes it is told. */
class LedgerMemoryTest {

  private static final long BUDGET = 8 * LedgerMemory.CHUNK;

  @Test
  void aReadThatAloneOutgrowsHalfTheBudgetIsTooLargeForGood() {
    LedgerMemory memory = new LedgerMemory(BUDGET);
    var read = memory.reserve();
    read.charge(BUDGET / 2);
    assertThatThrownBy(() -> read.charge(1))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("buildserver.ledger.memory-budget")
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("LedgerTooLarge"))
        .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
    read.close();
    assertThat(memory.taken()).isZero();
  }

  @Test
  void aReadThatFitsWaitsForTheOthersToGiveMemoryBack() {
    LedgerMemory memory = new LedgerMemory(BUDGET);
    var first = memory.reserve();
    first.charge(4 * LedgerMemory.CHUNK);
    var second = memory.reserve();
    second.charge(4 * LedgerMemory.CHUNK);
    var third = memory.reserve();
    assertThatThrownBy(() -> third.charge(1))
        .isInstanceOf(Problem.class)
        .satisfies(e -> assertThat(((Problem) e).retryable()).isTrue());
    first.close();
    third.charge(1);
    assertThat(memory.taken()).isEqualTo(5 * LedgerMemory.CHUNK);
  }

  @Test
  void sumsAddedAfterTheReadEndedTakeNothing() {
    LedgerMemory memory = new LedgerMemory(BUDGET);
    var sums = new BalanceAccumulator(new BalanceCalculator.Options(true, false), memory.reserve());
    sums.add(1, 1, new Transaction("2014-01-01", "A", "1", "C"));
    assertThat(memory.taken()).isEqualTo(LedgerMemory.CHUNK);
    sums.close();
    sums.add(2, 1, new Transaction("2014-01-02", "B", "1", "C")); // a page parsed too late
    assertThat(memory.taken()).isZero();
  }
}
