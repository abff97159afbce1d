package dev.buildserver.ledger;

import dev.buildserver.ledger.BalanceReportStatus.DailyBalance;
import dev.buildserver.ledger.BalanceReportStatus.LedgerTotal;
import dev.buildserver.status.Echo;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

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

  /** The name of the status line that sums the ledgers not listed. */
  public static final String OTHERS = "(others)";

  private static final int LONGEST_NAME = 200;

  /**
   * The ledger totals a status can hold: the {@code limit} largest by absolute total (in the
   * original order, names cut at 200 characters), then one {@link #OTHERS} line summing the rest.
   */
  public static List<LedgerTotal> statusTotals(List<LedgerTotal> all, int limit) {
    List<LedgerTotal> shortened =
        all.stream()
            .map(
                t ->
                    t.ledger().length() <= LONGEST_NAME
                        ? t
                        : new LedgerTotal(t.ledger().substring(0, LONGEST_NAME) + "…", t.total()))
            .toList();
    if (shortened.size() <= limit) {
      return shortened;
    }
    Set<Integer> kept =
        IntStream.range(0, shortened.size())
            .boxed()
            .sorted(
                Comparator.comparing((Integer i) -> new BigDecimal(shortened.get(i).total()).abs())
                    .reversed())
            .limit(limit)
            .collect(Collectors.toSet());
    List<LedgerTotal> result = new ArrayList<>();
    BigDecimal others = BigDecimal.ZERO;
    for (int i = 0; i < shortened.size(); i++) {
      if (kept.contains(i)) {
        result.add(shortened.get(i));
      } else {
        others = others.add(new BigDecimal(shortened.get(i).total()));
      }
    }
    result.add(new LedgerTotal(OTHERS, others.toPlainString()));
    return result;
  }

  public static String table(BalanceReportData data) {
    Summary s = summary(data);
    StringBuilder out = new StringBuilder();
    out.append(String.format("%-12s %16s%n", "DATE", "BALANCE"));
    s.dailyBalances()
        .forEach(d -> out.append(String.format("%-12s %16s%n", d.date(), d.balance())));
    out.append(String.format("%n%-40s %16s%n", "LEDGER", "TOTAL"));
    // A ledger name comes from the ledger, terminal escape sequences and all: shown escaped.
    s.ledgerTotals()
        .forEach(
            l -> out.append(String.format("%-40s %16s%n", Echo.escaped(l.ledger()), l.total())));
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
