package dev.buildserver.testing;

import dev.buildserver.ledger.Transaction;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Money arithmetic for test oracles, independent of the code under test: amounts with at most two
 * decimals are parsed by hand into whole cents and summed as longs.
 */
public final class Cents {

  private Cents() {}

  public static long parse(String amount) {
    String s = amount.trim();
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    String whole = s.contains(".") ? s.substring(0, s.indexOf('.')) : s;
    String fraction = s.contains(".") ? s.substring(s.indexOf('.') + 1) : "";
    if (fraction.length() > 2) {
      throw new IllegalArgumentException("more than two decimals: " + amount);
    }
    long cents =
        Long.parseLong(whole.isEmpty() ? "0" : whole) * 100
            + Long.parseLong((fraction + "00").substring(0, 2));
    return negative ? -cents : cents;
  }

  public static long total(List<Transaction> transactions) {
    return transactions.stream().mapToLong(t -> parse(t.amount())).sum();
  }

  public static Map<String, Long> perLedger(List<Transaction> transactions) {
    Map<String, Long> totals = new TreeMap<>();
    transactions.forEach(t -> totals.merge(t.ledger(), parse(t.amount()), Long::sum));
    return totals;
  }

  /** Whether a decimal string the code under test printed equals a number of cents. */
  public static boolean equal(String decimal, long cents) {
    return new BigDecimal(decimal).compareTo(BigDecimal.valueOf(cents, 2)) == 0;
  }
}
