package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import org.junit.jupiter.api.Test;

/** The heap ledger reads may hold together, and what a read that passes it is told. */
class LedgerMemoryTest {

  private static final long BUDGET = 4 * LedgerMemory.CHUNK;

  @Test
  void aReadThatAloneOutgrowsTheBudgetIsTooLargeForGood() {
    LedgerMemory memory = new LedgerMemory(BUDGET);
    var read = memory.reserve();
    read.charge(BUDGET);
    assertThatThrownBy(() -> read.charge(1))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("buildserver.ledger.memory-budget")
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("LedgerTooLarge"))
        .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
    read.close();
    assertThat(memory.taken()).isZero();
  }

  @Test
  void aReadThatFitsAloneWaitsForTheOthersToGiveMemoryBack() {
    LedgerMemory memory = new LedgerMemory(BUDGET);
    var big = memory.reserve();
    big.charge(3 * LedgerMemory.CHUNK);
    var small = memory.reserve();
    small.charge(LedgerMemory.CHUNK);
    assertThatThrownBy(() -> small.charge(LedgerMemory.CHUNK))
        .isInstanceOf(Problem.class)
        .satisfies(e -> assertThat(((Problem) e).retryable()).isTrue());
    big.close();
    small.charge(LedgerMemory.CHUNK);
    assertThat(memory.taken()).isEqualTo(2 * LedgerMemory.CHUNK);
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
