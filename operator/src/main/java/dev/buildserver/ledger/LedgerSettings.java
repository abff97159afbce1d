package dev.buildserver.ledger;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** Limits of ledger reads, under {@code buildserver.ledger}. */
@ConfigurationProperties("buildserver.ledger")
public class LedgerSettings {

  private int concurrency = 8;
  private int maxPages = 10_000;
  private long maxPageBytes = 10L * 1024 * 1024;
  private int attempts = 4;
  private Duration retryBackoff = Duration.ofMillis(250);
  private long maxTransactions = 1_000_000;
  private int statusLedgerTotals = 100;
  private long memoryBudget = 32L * 1024 * 1024;

  /** Page requests in flight at once, for all reports of the operator together. */
  public int getConcurrency() {
    return concurrency;
  }

  public void setConcurrency(int concurrency) {
    this.concurrency = Math.max(1, concurrency);
  }

  /** The most pages one ledger may have. */
  public int getMaxPages() {
    return maxPages;
  }

  public void setMaxPages(int maxPages) {
    this.maxPages = maxPages;
  }

  /**
   * The heap all ledger reads of the process may hold at once (default 32 MiB, a fifth of the
   * chart's heap): the days, ledgers and deduplication digests they add up. Pages themselves are
   * parsed as streams and never held.
   */
  public long getMemoryBudget() {
    return memoryBudget;
  }

  public void setMemoryBudget(long memoryBudget) {
    this.memoryBudget = Math.max(LedgerMemory.CHUNK, memoryBudget);
  }

  /** The largest page body accepted (it is streamed, never held whole). */
  public long getMaxPageBytes() {
    return maxPageBytes;
  }

  public void setMaxPageBytes(long maxPageBytes) {
    this.maxPageBytes = maxPageBytes;
  }

  /** Tries per page on 5xx, 429 and connection errors. */
  public int getAttempts() {
    return attempts;
  }

  public void setAttempts(int attempts) {
    this.attempts = Math.max(1, attempts);
  }

  /** First wait between tries; it doubles each time. */
  public Duration getRetryBackoff() {
    return retryBackoff;
  }

  public void setRetryBackoff(Duration retryBackoff) {
    this.retryBackoff = retryBackoff;
  }

  /** The most transactions one read may return; a larger ledger gets LedgerTooLarge. */
  public long getMaxTransactions() {
    return maxTransactions;
  }

  public void setMaxTransactions(long maxTransactions) {
    this.maxTransactions = Math.max(1, maxTransactions);
  }

  /**
   * Ledgers listed in a report's status (the largest by absolute total; the rest are summed in one
   * "(others)" line). The output object lists them all.
   */
  public int getStatusLedgerTotals() {
    return statusLedgerTotals;
  }

  public void setStatusLedgerTotals(int statusLedgerTotals) {
    this.statusLedgerTotals = Math.max(1, statusLedgerTotals);
  }
}
