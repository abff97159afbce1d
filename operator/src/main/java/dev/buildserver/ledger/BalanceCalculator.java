package dev.buildserver.ledger;

import dev.buildserver.status.Problem;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Daily running balances, totals per ledger and the total of a ledger's transactions, in exact
 * decimals, whatever order pages and transactions arrive in: the pages of a ledger held in memory
 * fed to a {@link BalanceAccumulator}. Pure: no I/O.
 */
public final class BalanceCalculator {

  private BalanceCalculator() {}

  /** How to count. */
  public record Options(boolean deduplicate, boolean includeEmptyDays) {}

  /**
   * @param pages the pages in any order, each with the page number it was fetched as
   * @throws Problem with reason {@code MalformedPage} naming the page and transaction at fault
   */
  public static BalanceReportData calculate(Map<Integer, LedgerPage> pages, Options options) {
    try (BalanceAccumulator sums =
        new BalanceAccumulator(options, LedgerMemory.unbounded().reserve())) {
      for (var page : new TreeMap<>(pages).entrySet()) {
        List<Transaction> transactions = page.getValue().transactionsOrEmpty();
        for (int i = 0; i < transactions.size(); i++) {
          sums.add(page.getKey(), i + 1, transactions.get(i));
        }
      }
      return sums.result(pages.size());
    }
  }

  /** The number of transactions the pages hold, before any deduplication. */
  public static long served(Map<Integer, LedgerPage> pages) {
    return pages.values().stream().mapToLong(p -> p.transactionsOrEmpty().size()).sum();
  }
}
