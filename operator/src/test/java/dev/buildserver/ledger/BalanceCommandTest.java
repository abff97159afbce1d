package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Cents;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.RepoFiles;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code builder balance} as a user runs it, against ledgers served on 127.0.0.1. */
@Tag("component") // needs moto, the mock API server or child JVMs: not in make test-unit
class BalanceCommandTest {

  @Test
  void printsTheExampleLedgerAsTableJsonAndCsv() throws Exception {
    try (LedgerServer ledger =
        LedgerServer.start().serveFiles(RepoFiles.examples().resolve("ledger/transactions"))) {
      var json =
          BuilderProcess.run(
              Map.of(), new byte[0], "balance", "--url", ledger.urlTemplate(), "--output", "json");
      assertThat(json.exitCode()).as(json.stderr()).isZero();
      JsonNode report = new ObjectMapper().readTree(json.stdout());
      assertThat(report.get("totalBalance").asText()).isEqualTo("-4335.35");
      assertThat(report.get("transactionCount").asLong()).isEqualTo(38);
      assertThat(report.get("pageCount").asInt()).isEqualTo(3);
      assertThat(report.get("dailyBalances").get(0).get("date").asText())
          .isEqualTo(report.get("firstDate").asText());

      var csv =
          BuilderProcess.run(
              Map.of(), new byte[0], "balance", "--url", ledger.urlTemplate(), "--output", "csv");
      assertThat(csv.exitCode()).isZero();
      List<String> lines = csv.stdout().lines().toList();
      assertThat(lines.get(0)).isEqualTo("date,balance");
      assertThat(lines.get(lines.size() - 1)).isEqualTo("total,-4335.35");

      var table =
          BuilderProcess.run(Map.of(), new byte[0], "balance", "--url", ledger.urlTemplate());
      assertThat(table.exitCode()).isZero();
      assertThat(table.stdout()).contains("Total balance -4335.35 from 38 transactions on 3 pages");
    }
  }

  @Test
  void honoursDeduplicateAndIncludeEmptyDays() throws Exception {
    var once = LedgerServer.transactions(20, 21);
    var twice = new java.util.ArrayList<>(once);
    twice.addAll(once);
    try (LedgerServer ledger = LedgerServer.start().publish(twice, 10, true)) {
      var result =
          BuilderProcess.run(
              Map.of(),
              new byte[0],
              "balance",
              "--url",
              ledger.urlTemplate(),
              "--output",
              "json",
              "--deduplicate",
              "--include-empty-days");
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      JsonNode report = new ObjectMapper().readTree(result.stdout());
      assertThat(Cents.equal(report.get("totalBalance").asText(), Cents.total(once))).isTrue();
      var first = java.time.LocalDate.parse(report.get("firstDate").asText());
      var last = java.time.LocalDate.parse(report.get("lastDate").asText());
      assertThat(report.get("dailyBalances"))
          .hasSize((int) (last.toEpochDay() - first.toEpochDay() + 1));
    }
  }

  @Test
  void failsWithOneLineNamingThePage() {
    try (LedgerServer ledger =
        LedgerServer.start()
            .publish(LedgerServer.transactions(30, 22), 10, true)
            .rawPage(3, "not json")) {
      var result =
          BuilderProcess.run(Map.of(), new byte[0], "balance", "--url", ledger.urlTemplate());
      assertThat(result.exitCode()).isEqualTo(1);
      assertThat(result.stdout()).isEmpty();
      assertThat(result.stderr().strip())
          .startsWith("builder: page 3 is not a ledger page")
          .doesNotContain("\n");
    }
    var noPlaceholder =
        BuilderProcess.run(Map.of(), new byte[0], "balance", "--url", "http://127.0.0.1:9/1.json");
    assertThat(noPlaceholder.exitCode()).isEqualTo(1);
    assertThat(noPlaceholder.stderr()).contains("must contain {page}");
  }
}
