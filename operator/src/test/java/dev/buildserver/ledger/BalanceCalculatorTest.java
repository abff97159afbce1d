package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import dev.buildserver.testing.Cents;
import dev.buildserver.testing.LedgerServer;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BalanceCalculatorTest {

  private static final BalanceCalculator.Options PLAIN =
      new BalanceCalculator.Options(false, false);

  private static Transaction tx(String date, String ledger, String amount) {
    return new Transaction(date, ledger, amount, "SHAW CABLESYSTEMS CALGARY AB");
  }

  private static Map<Integer, LedgerPage> pages(List<Transaction>... pages) {
    Map<Integer, LedgerPage> result = new java.util.HashMap<>();
    for (int i = 0; i < pages.length; i++) {
      result.put(i + 1, new LedgerPage(null, i + 1, pages[i]));
    }
    return result;
  }

  @Test
  void refusesAnAmountLongerThanMoneyNeeds() {
    // 4000 digits would make every running balance after it as long, over every filler day.
    String huge = "0." + "0".repeat(4000) + "1";
    assertThatThrownBy(
            () ->
                BalanceCalculator.calculate(
                    pages(List.of(tx("2013-12-20", "A", huge))),
                    new BalanceCalculator.Options(false, true)))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("at most 40 characters");
  }

  @Test
  void addsMoneyExactly() {
    var data =
        BalanceCalculator.calculate(
            pages(
                List.of(
                    tx("2013-12-22", "A", "0.1"),
                    tx("2013-12-22", "A", "0.2"),
                    tx("2013-12-22", "B", "-8.1"),
                    tx("2013-12-22", "B", "25"))),
            PLAIN);
    assertThat(data.totalBalance()).isEqualByComparingTo("17.2");
    assertThat(data.totalBalance().toPlainString()).isEqualTo("17.2");
    assertThat(data.ledgerTotals())
        .containsExactly(
            new BalanceReportData.LedgerTotal("A", new BigDecimal("0.3")),
            new BalanceReportData.LedgerTotal("B", new BigDecimal("16.9")));
  }

  @Test
  void reportsRunningEndOfDayBalancesInDateOrderWhateverTheOrderOfPages() {
    var data =
        BalanceCalculator.calculate(
            pages(
                List.of(tx("2013-12-22", "A", "-110.71"), tx("2013-12-20", "A", "100")),
                List.of(tx("2013-12-21", "B", "5.5"), tx("2013-12-20", "B", "-1"))),
            PLAIN);
    assertThat(data.dailyBalances())
        .containsExactly(
            new BalanceReportData.DailyBalance(LocalDate.parse("2013-12-20"), new BigDecimal("99")),
            new BalanceReportData.DailyBalance(
                LocalDate.parse("2013-12-21"), new BigDecimal("104.5")),
            new BalanceReportData.DailyBalance(
                LocalDate.parse("2013-12-22"), new BigDecimal("-6.21")));
    assertThat(data.firstDate()).isEqualTo(LocalDate.parse("2013-12-20"));
    assertThat(data.lastDate()).isEqualTo(LocalDate.parse("2013-12-22"));
    assertThat(data.transactionCount()).isEqualTo(4);
    assertThat(data.pageCount()).isEqualTo(2);
  }

  @Test
  void carriesTheBalanceThroughEmptyDaysWhenAsked() {
    var data =
        BalanceCalculator.calculate(
            pages(List.of(tx("2013-12-20", "A", "10"), tx("2013-12-23", "A", "-2.5"))),
            new BalanceCalculator.Options(false, true));
    assertThat(data.dailyBalances())
        .extracting(d -> d.date().toString() + "=" + d.balance().toPlainString())
        .containsExactly("2013-12-20=10", "2013-12-21=10", "2013-12-22=10", "2013-12-23=7.5");
  }

  @Test
  void countsIdenticalTransactionsOnceWhenAsked() {
    var twice =
        pages(List.of(tx("2013-12-20", "A", "10.00")), List.of(tx("2013-12-20", "A", "10")));
    assertThat(BalanceCalculator.calculate(twice, PLAIN).totalBalance()).isEqualByComparingTo("20");
    var once = BalanceCalculator.calculate(twice, new BalanceCalculator.Options(true, false));
    assertThat(once.totalBalance()).isEqualByComparingTo("10");
    assertThat(once.transactionCount()).isEqualTo(1);
    assertThat(BalanceCalculator.served(twice)).isEqualTo(2);
  }

  @Test
  void namesThePageAndTransactionOfABadAmountOrDate() {
    assertThatThrownBy(
            () ->
                BalanceCalculator.calculate(
                    pages(
                        List.of(),
                        List.of(tx("2013-12-20", "A", "1"), tx("2013-12-20", "A", "12,50"))),
                    PLAIN))
        .isInstanceOf(Problem.class)
        .hasMessage(
            "page 2, transaction 2: Amount '12,50' is not a decimal number like -110.71 (at most 40 characters)");
    assertThatThrownBy(
            () -> BalanceCalculator.calculate(pages(List.of(tx("22/12/2013", "A", "1"))), PLAIN))
        .hasMessageContaining("page 1, transaction 1: Date '22/12/2013' is not a date");
    for (String bad : new String[] {"", "abc", "1e3", "NaN", "--1"}) {
      assertThatThrownBy(
              () -> BalanceCalculator.calculate(pages(List.of(tx("2013-12-20", "A", bad))), PLAIN))
          .isInstanceOf(Problem.class);
    }
  }

  @Test
  void refusesANullTransactionAndAnEndlessSpanOfEmptyDays() {
    List<Transaction> withNull = new java.util.ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> BalanceCalculator.calculate(pages(withNull), PLAIN))
        .isInstanceOf(Problem.class)
        .hasMessage("page 1, transaction 1 is null, not a transaction")
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("MalformedPage"));
    var farApart = pages(List.of(tx("0001-01-01", "A", "1"), tx("9999-12-31", "A", "1")));
    assertThat(BalanceCalculator.calculate(farApart, PLAIN).dailyBalances()).hasSize(2);
    assertThatThrownBy(
            () -> BalanceCalculator.calculate(farApart, new BalanceCalculator.Options(false, true)))
        .isInstanceOf(Problem.class)
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("LedgerTooLarge"));
  }

  @Test
  void agreesWithAnIndependentCentsOracleOnShuffledRandomLedgers() {
    for (long seed = 1; seed <= 20; seed++) {
      List<Transaction> transactions = new ArrayList<>(LedgerServer.transactions(500, seed));
      Collections.shuffle(transactions, new Random(seed));
      var data =
          BalanceCalculator.calculate(
              pages(transactions.subList(0, 250), transactions.subList(250, 500)), PLAIN);
      assertThat(Cents.equal(data.totalBalance().toPlainString(), Cents.total(transactions)))
          .isTrue();
      var last = data.dailyBalances().get(data.dailyBalances().size() - 1);
      assertThat(last.balance()).isEqualByComparingTo(data.totalBalance());
      var perLedger = Cents.perLedger(transactions);
      data.ledgerTotals()
          .forEach(
              l ->
                  assertThat(Cents.equal(l.total().toPlainString(), perLedger.get(l.ledger())))
                      .isTrue());
    }
  }
}
