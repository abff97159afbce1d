package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportFormatTest {

  @Test
  void theTableShowsLedgerNamesWithTerminalEscapesEscaped() {
    var data =
        new BalanceReportData(
            new BigDecimal("-8.10"),
            1,
            1,
            LocalDate.parse("2014-01-02"),
            LocalDate.parse("2014-01-02"),
            List.of(
                new BalanceReportData.DailyBalance(
                    LocalDate.parse("2014-01-02"), new BigDecimal("-8.10"))),
            List.of(
                new BalanceReportData.LedgerTotal(
                    "Office\u001b]0;owned\u0007\u001b[2J\nTotal balance 1000000",
                    new BigDecimal("-8.10"))));

    String table = ReportFormat.table(data);

    assertThat(table).doesNotContain("\u001b").doesNotContain("\u0007");
    assertThat(table).contains("Office\\u001b]0;owned\\u0007\\u001b[2J\\nTotal balance 1000000");
    assertThat(table.lines().filter(l -> l.startsWith("Total balance"))).hasSize(1);
  }
}
