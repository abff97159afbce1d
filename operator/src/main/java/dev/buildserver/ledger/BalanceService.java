package dev.buildserver.ledger;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * Reads a ledger and computes its report: the one service behind the BalanceReport reconciler and
 * {@code builder balance}. The transactions read must add up to the ledger's totalCount.
 */
@Singleton
public class BalanceService {

  private final LedgerPager pager;

  public BalanceService(LedgerPager pager) {
    this.pager = pager;
  }

  public BalanceReportData report(
      String urlTemplate, Optional<String> token, BalanceCalculator.Options options) {
    LedgerPager.Pages read = pager.fetch(urlTemplate, token);
    BalanceReportData data =
        BalanceCalculator.calculate(read.pages(), options); // names a bad page first
    long served = BalanceCalculator.served(read.pages());
    if (read.totalCount() != null && served != read.totalCount()) {
      throw new Problem(
          Reason.InconsistentLedger,
          "the ledger served "
              + served
              + " transactions on "
              + read.pages().size()
              + " pages, but its totalCount is "
              + read.totalCount(),
          false);
    }
    return data;
  }
}
