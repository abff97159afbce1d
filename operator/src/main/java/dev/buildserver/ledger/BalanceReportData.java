package dev.buildserver.ledger;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * A computed report: what {@code builder balance} prints and what the BalanceReport status and its
 * output object hold. Money is exact.
 */
public record BalanceReportData(
    BigDecimal totalBalance,
    long transactionCount,
    int pageCount,
    LocalDate firstDate,
    LocalDate lastDate,
    List<DailyBalance> dailyBalances,
    List<LedgerTotal> ledgerTotals) {

  /** The running balance at the end of one day. */
  public record DailyBalance(LocalDate date, BigDecimal balance) {}

  /** The sum of one ledger's transactions. */
  public record LedgerTotal(String ledger, BigDecimal total) {}
}
