package dev.buildserver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.Main.CliException;
import dev.buildserver.ledger.BalanceCalculator;
import dev.buildserver.ledger.BalanceReportData;
import dev.buildserver.ledger.BalanceService;
import dev.buildserver.ledger.ReportFormat;
import dev.buildserver.status.Echo;
import io.micronaut.context.BeanProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code builder balance}: reads a ledger API and prints daily balances and the total. */
@Command(
    name = "balance",
    mixinStandardHelpOptions = true,
    description = {
      "Read a paginated ledger API (pages 1, 2, ... until a 404) and print the daily running balances",
      "and the total. A bearer token can come from BUILDER_LEDGER_TOKEN."
    })
public class BalanceCommand implements Callable<Integer> {

  @Option(
      names = "--url",
      required = true,
      description = "Page URL with {page}, e.g. 'http://ledger/{page}.json'.")
  String url;

  @Option(
      names = "--output",
      defaultValue = "table",
      description = "table, json or csv (default table).")
  String output;

  @Option(names = "--include-empty-days", description = "Also list days without transactions.")
  boolean includeEmptyDays;

  @Option(names = "--deduplicate", description = "Count identical transactions once.")
  boolean deduplicate;

  @Inject BeanProvider<BalanceService> balances;
  @Inject ObjectMapper json;

  @Override
  public Integer call() throws IOException {
    if (!output.equals("table") && !output.equals("json") && !output.equals("csv")) {
      throw new CliException(
          "--output must be table, json or csv, not '" + Echo.value(output) + "'", 2);
    }
    Optional<String> token =
        Optional.ofNullable(System.getenv("BUILDER_LEDGER_TOKEN")).filter(t -> !t.isBlank());
    BalanceReportData data =
        balances
            .get()
            .report(url, token, new BalanceCalculator.Options(deduplicate, includeEmptyDays));
    String text =
        switch (output) {
          case "json" -> json.writeValueAsString(ReportFormat.summary(data)) + "\n";
          case "csv" -> ReportFormat.csv(data);
          default -> ReportFormat.table(data);
        };
    System.out.print(text);
    System.out.flush();
    return 0;
  }
}
