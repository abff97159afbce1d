package dev.buildserver.ledger;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.status.ResourceStatus;
import java.util.ArrayList;
import java.util.List;

/** The latest report computed from the ledger. Money values are exact decimal strings. */
public class BalanceReportStatus extends ResourceStatus {

  /** The running balance at the end of one day. */
  public record DailyBalance(
      @JsonPropertyDescription("The day, YYYY-MM-DD.") String date,
      @JsonPropertyDescription("Running balance at the end of that day, as an exact decimal.")
          String balance) {}

  /** The sum of all transactions of one ledger. */
  public record LedgerTotal(
      @JsonPropertyDescription("The ledger name.") String ledger,
      @JsonPropertyDescription("Sum of its transactions, as an exact decimal.") String total) {}

  @JsonPropertyDescription("Sum of all transactions, as an exact decimal string.")
  private String totalBalance;

  @JsonPropertyDescription("Number of transactions counted.")
  private Long transactionCount;

  @JsonPropertyDescription("Number of pages read.")
  private Integer pageCount;

  @JsonPropertyDescription("Date of the earliest transaction.")
  private String firstDate;

  @JsonPropertyDescription("Date of the latest transaction.")
  private String lastDate;

  @JsonPropertyDescription(
      "Running end-of-day balances, oldest first; at most the latest 366 days (the full series is in"
          + " the report output).")
  private List<DailyBalance> dailyBalances = new ArrayList<>();

  @JsonPropertyDescription("Totals per ledger.")
  private List<LedgerTotal> ledgerTotals = new ArrayList<>();

  @JsonPropertyDescription("Where the full report was written, as s3://bucket/key.")
  private String reportLocation;

  @JsonPropertyDescription("When the ledger was last read successfully (RFC 3339).")
  private String lastSyncTime;

  public String getTotalBalance() {
    return totalBalance;
  }

  public void setTotalBalance(String totalBalance) {
    this.totalBalance = totalBalance;
  }

  public Long getTransactionCount() {
    return transactionCount;
  }

  public void setTransactionCount(Long transactionCount) {
    this.transactionCount = transactionCount;
  }

  public Integer getPageCount() {
    return pageCount;
  }

  public void setPageCount(Integer pageCount) {
    this.pageCount = pageCount;
  }

  public String getFirstDate() {
    return firstDate;
  }

  public void setFirstDate(String firstDate) {
    this.firstDate = firstDate;
  }

  public String getLastDate() {
    return lastDate;
  }

  public void setLastDate(String lastDate) {
    this.lastDate = lastDate;
  }

  public List<DailyBalance> getDailyBalances() {
    return dailyBalances;
  }

  public void setDailyBalances(List<DailyBalance> dailyBalances) {
    this.dailyBalances = dailyBalances == null ? new ArrayList<>() : dailyBalances;
  }

  public List<LedgerTotal> getLedgerTotals() {
    return ledgerTotals;
  }

  public void setLedgerTotals(List<LedgerTotal> ledgerTotals) {
    this.ledgerTotals = ledgerTotals == null ? new ArrayList<>() : ledgerTotals;
  }

  public String getReportLocation() {
    return reportLocation;
  }

  public void setReportLocation(String reportLocation) {
    this.reportLocation = reportLocation;
  }

  public String getLastSyncTime() {
    return lastSyncTime;
  }

  public void setLastSyncTime(String lastSyncTime) {
    this.lastSyncTime = lastSyncTime;
  }
}
