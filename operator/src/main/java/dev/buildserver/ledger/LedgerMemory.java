package dev.buildserver.ledger;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that ledger reads may hold at once, for all reports of the process together ({@code
 * buildserver.ledger.memory-budget}). Pages are parsed as streams and never kept, so what a read
 * holds is what it folds them into: days, ledgers and deduplication digests. Each read charges that
 * to a {@link Reservation}, taken from the budget in chunks; a read that would pass it ends with
 * LedgerTooLarge instead of taking the heap the other tenants' resources need.
 */
@Singleton
public class LedgerMemory {

  /** Taken from the budget at a time, so that reads rarely touch the shared counter. */
  static final long CHUNK = 256 * 1024;

  private final long budget;
  private final AtomicLong taken = new AtomicLong();

  @Inject
  public LedgerMemory(LedgerSettings settings) {
    this(settings.getMemoryBudget());
  }

  LedgerMemory(long budget) {
    this.budget = Math.max(CHUNK, budget);
  }

  /** A budget no read can pass: for the CLI's one report and for tests. */
  public static LedgerMemory unbounded() {
    return new LedgerMemory(Long.MAX_VALUE / 2);
  }

  /** The bytes all reads hold now. */
  public long taken() {
    return taken.get();
  }

  public Reservation reserve() {
    return new Reservation();
  }

  /** What one read holds; closing it gives everything back. Not thread-safe on its own. */
  public final class Reservation implements AutoCloseable {

    private long used;
    private long held;
    private boolean closed;

    private Reservation() {}

    /** Charges {@code bytes} more to this read. */
    void charge(long bytes) {
      if (closed) {
        return;
      }
      used += bytes;
      while (used > held) {
        long after = taken.addAndGet(CHUNK);
        if (after > budget) {
          taken.addAndGet(-CHUNK);
          Problem refused = tooLarge();
          used -= bytes;
          throw refused;
        }
        held += CHUNK;
      }
    }

    private Problem tooLarge() {
      long mib = budget / (1024 * 1024);
      if (used > budget) {
        return new Problem(
            Reason.LedgerTooLarge,
            "the report needs more than "
                + mib
                + " MiB to add up (days, ledgers and, with deduplicate, one digest a transaction):"
                + " raise buildserver.ledger.memory-budget, or split the ledger",
            false);
      }
      // Alone it fits: other reports hold the rest of the budget now. Retried with backoff.
      return new Problem(
          Reason.LedgerTooLarge,
          "other reports hold the ledger memory budget ("
              + mib
              + " MiB, buildserver.ledger.memory-budget) now; retrying",
          true);
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        taken.addAndGet(-held);
        held = 0;
      }
    }
  }
}
