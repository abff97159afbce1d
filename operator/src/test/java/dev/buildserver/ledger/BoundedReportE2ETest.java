package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.testing.Cents;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BalanceReports stay bounded whatever the ledger serves: a capped status, a configurable cap on
 * transactions per read, and one operator-wide pool for page fetches.
 */
class BoundedReportE2ETest {

  private static final int MAX_TRANSACTIONS = 100_000;
  private static final int CONCURRENCY = 2;
  private static Cluster cluster;
  private static InProcessOperator operator;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("bounded"));
    operator =
        InProcessOperator.start(
            List.of(),
            Map.of(
                "buildserver.ledger.max-transactions", MAX_TRANSACTIONS,
                "buildserver.ledger.concurrency", CONCURRENCY),
            cluster.namespace());
    operator.s3().createBucket(b -> b.bucket("bounded"));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void keepsTheStatusSmallWithAHundredThousandLedgersAndWritesThemAllToTheOutput()
      throws Exception {
    List<Transaction> transactions = distinctLedgers(MAX_TRANSACTIONS);
    try (LedgerServer ledger = LedgerServer.start().publish(transactions, 2_000, true)) {
      BalanceReport report =
          cluster.create(
              BalanceReport.class,
              """
              metadata: {name: wide}
              spec:
                ledger: {url: "%s"}
                output: {s3: {bucket: bounded, key: wide.json}}
              """
                  .formatted(ledger.urlTemplate()));
      BalanceReport ready = cluster.awaitReason(report, "Ready", "Synced", Duration.ofMinutes(2));
      int statusBytes =
          Serialization.asJson(ready.getStatus()).getBytes(StandardCharsets.UTF_8).length;
      System.out.printf("status of a report with 100,000 ledgers: %d bytes%n", statusBytes);
      assertThat(statusBytes).isLessThan(256 * 1024);

      var totals = ready.getStatus().getLedgerTotals();
      assertThat(totals).hasSizeLessThanOrEqualTo(101);
      assertThat(totals.get(totals.size() - 1).ledger()).isEqualTo("(others)");
      long sum = totals.stream().mapToLong(t -> Cents.parse(t.total())).sum();
      assertThat(Cents.equal(ready.getStatus().getTotalBalance(), sum)).isTrue();
      // The largest by absolute value come first.
      long smallestShown =
          totals.subList(0, totals.size() - 1).stream()
              .mapToLong(t -> Math.abs(Cents.parse(t.total())))
              .min()
              .orElseThrow();
      assertThat(smallestShown).isGreaterThanOrEqualTo(99_900 * 100L);

      JsonNode written =
          new ObjectMapper()
              .readTree(
                  operator
                      .s3()
                      .getObjectAsBytes(b -> b.bucket("bounded").key("wide.json"))
                      .asByteArray());
      assertThat(written.get("ledgerTotals")).hasSize(MAX_TRANSACTIONS);
    }
  }

  @Test
  void stopsAReadPastTheTransactionCapWithAClearCondition() {
    try (LedgerServer ledger =
        LedgerServer.start().publish(distinctLedgers(MAX_TRANSACTIONS + 1), 5_000, true)) {
      BalanceReport report =
          cluster.create(
              BalanceReport.class,
              "metadata: {name: too-many}\nspec: {ledger: {url: \"%s\"}}"
                  .formatted(ledger.urlTemplate()));
      BalanceReport refused =
          cluster.awaitReason(report, "Ready", "LedgerTooLarge", Duration.ofMinutes(2));
      assertThat(refused.getStatus().getConditions().get(0).getMessage())
          .contains("100000 transactions")
          .contains("buildserver.ledger.max-transactions");
    }
  }

  @Test
  void sharesOneBoundedPoolOfPageFetchesBetweenReports() {
    try (LedgerServer ledger =
        LedgerServer.start()
            .publish(LedgerServer.transactions(200, 9), 10, true)
            .latency(Duration.ofMillis(100))) {
      List<BalanceReport> reports = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        reports.add(
            cluster.create(
                BalanceReport.class,
                "metadata: {name: pooled-%d}\nspec: {ledger: {url: \"%s?report=%d\"}}"
                    .formatted(i, ledger.urlTemplate(), i)));
      }
      reports.forEach(r -> cluster.awaitReady(r, "Synced"));
      // Three reports at once, yet never more page requests in flight than the one pool allows.
      assertThat(ledger.mostInFlight()).isLessThanOrEqualTo(CONCURRENCY);
    }
  }

  /** {@code count} transactions, each in a ledger of its own, amounts 1.00, 2.00, ... */
  private static List<Transaction> distinctLedgers(int count) {
    List<Transaction> result = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      result.add(
          new Transaction(
              "2014-01-" + String.format("%02d", 1 + i % 28), "Ledger " + i, i + ".00", "C"));
    }
    return result;
  }
}
