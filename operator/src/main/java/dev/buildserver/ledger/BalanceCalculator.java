package dev.buildserver.ledger;

import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Daily running balances, totals per ledger and the total of a ledger's transactions, in exact
 * decimals, whatever order pages and transactions arrive in. Pure: no I/O.
 */
public final class BalanceCalculator {

  /** The longest span includeEmptyDays fills in: 100 years of days. */
  static final long MAX_EMPTY_DAY_SPAN = 36_600;

  private static final Pattern AMOUNT = Pattern.compile("^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)$");

  private BalanceCalculator() {}

  /** How to count. */
  public record Options(boolean deduplicate, boolean includeEmptyDays) {}

  /**
   * @param pages the pages in any order, each with the page number it was fetched as
   * @throws Problem with reason {@code MalformedPage} naming the page and transaction at fault
   */
  public static BalanceReportData calculate(Map<Integer, LedgerPage> pages, Options options) {
    Map<LocalDate, BigDecimal> perDay = new TreeMap<>();
    Map<String, BigDecimal> perLedger = new TreeMap<>();
    Set<List<Object>> seen = new HashSet<>();
    BigDecimal total = BigDecimal.ZERO;
    long counted = 0;
    for (var entry : new TreeMap<>(pages).entrySet()) {
      List<Transaction> transactions = entry.getValue().transactionsOrEmpty();
      for (int i = 0; i < transactions.size(); i++) {
        Transaction t = transactions.get(i);
        String where = "page " + entry.getKey() + ", transaction " + (i + 1);
        if (t == null) {
          throw new Problem(Reason.MalformedPage, where + " is null, not a transaction", false);
        }
        LocalDate date = date(t, where);
        BigDecimal amount = amount(t, where);
        if (options.deduplicate()
            && !seen.add(
                List.of(
                    date,
                    String.valueOf(t.ledger()),
                    amount.stripTrailingZeros(),
                    String.valueOf(t.company())))) {
          continue;
        }
        counted++;
        total = total.add(amount);
        perDay.merge(date, amount, BigDecimal::add);
        perLedger.merge(t.ledger() == null ? "" : t.ledger(), amount, BigDecimal::add);
      }
    }
    if (options.includeEmptyDays()
        && !perDay.isEmpty()
        && ChronoUnit.DAYS.between(
                ((TreeMap<LocalDate, BigDecimal>) perDay).firstKey(),
                ((TreeMap<LocalDate, BigDecimal>) perDay).lastKey())
            > MAX_EMPTY_DAY_SPAN) {
      throw new Problem(
          Reason.LedgerTooLarge,
          "the transactions span more than "
              + MAX_EMPTY_DAY_SPAN
              + " days: includeEmptyDays would list every one; check the dates or turn it off",
          false);
    }
    List<BalanceReportData.DailyBalance> daily = new ArrayList<>();
    BigDecimal running = BigDecimal.ZERO;
    LocalDate previous = null;
    for (var day : perDay.entrySet()) {
      if (options.includeEmptyDays() && previous != null) {
        for (LocalDate d = previous.plusDays(1); d.isBefore(day.getKey()); d = d.plusDays(1)) {
          daily.add(new BalanceReportData.DailyBalance(d, running));
        }
      }
      running = running.add(day.getValue());
      daily.add(new BalanceReportData.DailyBalance(day.getKey(), running));
      previous = day.getKey();
    }
    List<BalanceReportData.LedgerTotal> ledgers = new ArrayList<>();
    perLedger.forEach((ledger, sum) -> ledgers.add(new BalanceReportData.LedgerTotal(ledger, sum)));
    return new BalanceReportData(
        total,
        counted,
        pages.size(),
        perDay.isEmpty() ? null : ((TreeMap<LocalDate, BigDecimal>) perDay).firstKey(),
        perDay.isEmpty() ? null : ((TreeMap<LocalDate, BigDecimal>) perDay).lastKey(),
        daily,
        ledgers);
  }

  /** The number of transactions the pages hold, before any deduplication. */
  public static long served(Map<Integer, LedgerPage> pages) {
    return pages.values().stream().mapToLong(p -> p.transactionsOrEmpty().size()).sum();
  }

  private static LocalDate date(Transaction t, String where) {
    try {
      return LocalDate.parse(String.valueOf(t.date()));
    } catch (DateTimeParseException e) {
      throw new Problem(
          Reason.MalformedPage,
          where + ": Date '" + t.date() + "' is not a date like 2013-12-22",
          false);
    }
  }

  private static BigDecimal amount(Transaction t, String where) {
    String amount = t.amount() == null ? "" : t.amount().trim();
    if (!AMOUNT.matcher(amount).matches()) {
      throw new Problem(
          Reason.MalformedPage,
          where + ": Amount '" + t.amount() + "' is not a decimal number like -110.71",
          false);
    }
    return new BigDecimal(amount);
  }
}
