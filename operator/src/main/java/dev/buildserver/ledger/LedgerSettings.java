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

  /** Pages fetched at once once the page count is known. */
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

  /** The largest page body accepted. */
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
}
