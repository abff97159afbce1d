package dev.buildserver.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.testing.Cents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What a report of the sample ledger (examples/ledger, which the stack serves) must say: its
 * transactions added up here in whole cents, once each when the report deduplicates.
 */
final class LedgerOracle {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<List<String>> transactions = new ArrayList<>();

  LedgerOracle(Path pages) {
    try (var files = Files.list(pages)) {
      for (Path page : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        for (JsonNode t : JSON.readTree(page.toFile()).path("transactions")) {
          transactions.add(
              List.of(
                  t.path("Date").asText(),
                  t.path("Ledger").asText(),
                  t.path("Amount").asText(),
                  t.path("Company").asText()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Null when the report object agrees with the oracle for this spec, else what is wrong. The count
   * is of the transactions served, deduplicated or not.
   */
  String check(byte[] report, Map<String, Object> spec) {
    List<List<String>> counted =
        Boolean.TRUE.equals(spec.get("deduplicate"))
            ? List.copyOf(new LinkedHashSet<>(transactions))
            : transactions;
    long cents = counted.stream().mapToLong(t -> Cents.parse(t.get(2))).sum();
    try {
      JsonNode json = JSON.readTree(report);
      String total = json.path("totalBalance").asText("");
      long count = json.path("transactionCount").asLong(-1);
      if (total.isEmpty() || !Cents.equal(total, cents) || count != transactions.size()) {
        return "says "
            + total
            + " over "
            + count
            + " transactions, the ledger "
            + BigDecimal.valueOf(cents, 2)
            + " over "
            + transactions.size();
      }
      return null;
    } catch (IOException | NumberFormatException e) {
      return "is not a report: " + e.getMessage();
    }
  }
}
