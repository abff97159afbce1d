package dev.buildserver.ledger;

import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Folds a ledger's transactions into daily sums, ledger totals and the total as each one arrives,
 * in any order, so that no page is ever kept: a read holds only these sums (and, to deduplicate,
 * one 128-bit digest a transaction). What it holds is charged to a {@link LedgerMemory.Reservation}
 * and bounded by it. Thread-safe: the pages of one read are parsed concurrently. No I/O.
 */
public final class BalanceAccumulator implements AutoCloseable {

  /** The longest span includeEmptyDays fills in: 100 years of days. */
  static final long MAX_EMPTY_DAY_SPAN = 36_600;

  /** Estimated heap of one entry, charged to the reservation (TreeMap/HashSet nodes included). */
  static final long DAY_BYTES = 160;

  static final long LEDGER_BYTES = 120;
  static final long DIGEST_BYTES = 96;

  private static final Pattern AMOUNT = Pattern.compile("^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)$");

  /**
   * The longest amount accepted, in characters: money needs no more, and a longer one would make
   * every running balance after it as long (a few of them, repeated over filler days, would fill
   * the heap).
   */
  static final int MAX_AMOUNT_LENGTH = 40;

  /** A transaction's identity for deduplication: the first 128 bits of its SHA-256. */
  private record Digest(long high, long low) {}

  private final BalanceCalculator.Options options;
  private final LedgerMemory.Reservation memory;
  private final TreeMap<LocalDate, BigDecimal> perDay = new TreeMap<>();
  private final TreeMap<String, BigDecimal> perLedger = new TreeMap<>();
  private final Set<Digest> seen = new HashSet<>();
  private BigDecimal total = BigDecimal.ZERO;
  private long counted;
  private long served;
  private boolean closed;

  public BalanceAccumulator(BalanceCalculator.Options options, LedgerMemory.Reservation memory) {
    this.options = options;
    this.memory = memory;
  }

  /**
   * Adds transaction {@code index} (from 1) of page {@code page}.
   *
   * @throws Problem MalformedPage naming the page and transaction at fault, or LedgerTooLarge when
   *     the read outgrows its memory
   */
  public synchronized void add(int page, int index, Transaction t) {
    if (closed) {
      return; // a page still parsing after its read ended (failed or cancelled)
    }
    String where = "page " + page + ", transaction " + index;
    if (t == null) {
      throw new Problem(Reason.MalformedPage, where + " is null, not a transaction", false);
    }
    LocalDate date = date(t, where);
    BigDecimal amount = amount(t, where);
    served++;
    if (options.deduplicate()) {
      if (!seen.add(digest(date, t.ledger(), amount, t.company()))) {
        return;
      }
      memory.charge(DIGEST_BYTES);
    }
    counted++;
    total = total.add(amount);
    if (!perDay.containsKey(date)) {
      memory.charge(DAY_BYTES);
    }
    perDay.merge(date, amount, BigDecimal::add);
    String ledger = t.ledger() == null ? "" : t.ledger();
    if (!perLedger.containsKey(ledger)) {
      memory.charge(LEDGER_BYTES + 2L * ledger.length());
    }
    perLedger.merge(ledger, amount, BigDecimal::add);
  }

  /** Transactions added so far, before any deduplication: what the ledger served. */
  public synchronized long served() {
    return served;
  }

  /** The report of everything added; {@code pages} is how many pages the read had. */
  public synchronized BalanceReportData result(int pages) {
    if (options.includeEmptyDays()
        && !perDay.isEmpty()
        && ChronoUnit.DAYS.between(perDay.firstKey(), perDay.lastKey()) > MAX_EMPTY_DAY_SPAN) {
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
        pages,
        perDay.isEmpty() ? null : perDay.firstKey(),
        perDay.isEmpty() ? null : perDay.lastKey(),
        daily,
        ledgers);
  }

  /** Gives the memory back; later additions are ignored. */
  @Override
  public synchronized void close() {
    closed = true;
    memory.close();
  }

  private static LocalDate date(Transaction t, String where) {
    try {
      return LocalDate.parse(String.valueOf(t.date()));
    } catch (DateTimeParseException e) {
      throw new Problem(
          Reason.MalformedPage,
          where + ": Date '" + Echo.value(t.date()) + "' is not a date like 2013-12-22",
          false);
    }
  }

  private static BigDecimal amount(Transaction t, String where) {
    String amount = t.amount() == null ? "" : t.amount().trim();
    if (amount.length() > MAX_AMOUNT_LENGTH || !AMOUNT.matcher(amount).matches()) {
      throw new Problem(
          Reason.MalformedPage,
          where
              + ": Amount '"
              + Echo.value(t.amount())
              + "' is not a decimal number like -110.71 (at most "
              + MAX_AMOUNT_LENGTH
              + " characters)",
          false);
    }
    return new BigDecimal(amount);
  }

  private static Digest digest(LocalDate date, String ledger, BigDecimal amount, String company) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (String part :
        new String[] {
          date.toString(),
          String.valueOf(ledger),
          amount.stripTrailingZeros().toPlainString(),
          String.valueOf(company)
        }) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      sha256.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      sha256.update(bytes);
    }
    ByteBuffer hash = ByteBuffer.wrap(sha256.digest());
    return new Digest(hash.getLong(), hash.getLong());
  }
}
