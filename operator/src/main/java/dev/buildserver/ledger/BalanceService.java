package dev.buildserver.ledger;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * Reads a ledger and computes its report: the one service behind the BalanceReport reconciler and
 * {@code builder balance}. Each transaction is added up as it is parsed; the memory the sums take
 * comes from the process's {@link LedgerMemory}. The transactions read must add up to the ledger's
 * totalCount.
 */
@Singleton
public class BalanceService {

  private final LedgerPager pager;
  private final LedgerMemory memory;

  public BalanceService(LedgerPager pager, LedgerMemory memory) {
    this.pager = pager;
    this.memory = memory;
  }

  public BalanceReportData report(
      String urlTemplate, Optional<String> token, BalanceCalculator.Options options) {
    try (BalanceAccumulator sums = new BalanceAccumulator(options, memory.reserve())) {
      LedgerPager.Read read = pager.read(urlTemplate, token, sums::add);
      long served = sums.served();
      if (read.totalCount() != null && served != read.totalCount()) {
        throw new Problem(
            Reason.InconsistentLedger,
            "the ledger served "
                + served
                + " transactions on "
                + read.pageCount()
                + " pages, but its totalCount is "
                + read.totalCount(),
            false);
      }
      return sums.result(read.pageCount());
    }
  }
}
