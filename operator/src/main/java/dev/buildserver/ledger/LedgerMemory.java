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
 * LedgerTooLarge instead of taking the heap the other tenants' resources need; one read may hold
 * half of it at most, so that one tenant's ledger cannot crowd out the others'.
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
      if (used > budget / 2) {
        // One read may hold half the budget at most: the others keep room to add up.
        Problem refused = tooLarge();
        used -= bytes;
        throw refused;
      }
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
      if (used > budget / 2) {
        return new Problem(
            Reason.LedgerTooLarge,
            "the report needs more than "
                + mib / 2
                + " MiB to add up (days, ledgers and, with deduplicate, one digest a transaction;"
                + " one report may hold half of buildserver.ledger.memory-budget): raise the"
                + " budget, or split the ledger",
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
