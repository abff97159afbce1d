package dev.buildserver.ledger;

import dev.buildserver.ledger.BalanceReportStatus.DailyBalance;
import dev.buildserver.ledger.BalanceReportStatus.LedgerTotal;
import java.util.List;

/** The report as status fields, JSON, a table and CSV. Pure. */
public final class ReportFormat {

  private ReportFormat() {}

  /** The report with the field names of the BalanceReport status, money as exact strings. */
  public record Summary(
      String totalBalance,
      long transactionCount,
      int pageCount,
      String firstDate,
      String lastDate,
      List<DailyBalance> dailyBalances,
      List<LedgerTotal> ledgerTotals) {}

  public static Summary summary(BalanceReportData data) {
    return new Summary(
        data.totalBalance().toPlainString(),
        data.transactionCount(),
        data.pageCount(),
        data.firstDate() == null ? null : data.firstDate().toString(),
        data.lastDate() == null ? null : data.lastDate().toString(),
        data.dailyBalances().stream()
            .map(d -> new DailyBalance(d.date().toString(), d.balance().toPlainString()))
            .toList(),
        data.ledgerTotals().stream()
            .map(l -> new LedgerTotal(l.ledger(), l.total().toPlainString()))
            .toList());
  }

  public static String table(BalanceReportData data) {
    Summary s = summary(data);
    StringBuilder out = new StringBuilder();
    out.append(String.format("%-12s %16s%n", "DATE", "BALANCE"));
    s.dailyBalances()
        .forEach(d -> out.append(String.format("%-12s %16s%n", d.date(), d.balance())));
    out.append(String.format("%n%-40s %16s%n", "LEDGER", "TOTAL"));
    s.ledgerTotals().forEach(l -> out.append(String.format("%-40s %16s%n", l.ledger(), l.total())));
    out.append(
        String.format(
            "%nTotal balance %s from %d transactions on %d pages%n",
            s.totalBalance(), s.transactionCount(), s.pageCount()));
    return out.toString();
  }

  /** {@code date,balance} rows, then a {@code total,<balance>} row. */
  public static String csv(BalanceReportData data) {
    Summary s = summary(data);
    StringBuilder out = new StringBuilder("date,balance\n");
    s.dailyBalances()
        .forEach(d -> out.append(d.date()).append(',').append(d.balance()).append('\n'));
    out.append("total,").append(s.totalBalance()).append('\n');
    return out.toString();
  }
}
