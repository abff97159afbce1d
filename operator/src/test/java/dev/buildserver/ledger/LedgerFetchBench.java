package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.LoopbackOutbound;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 1,000 pages of 10 transactions with 20 ms latency per page: the concurrent read (counts known, 8
 * at a time) against the sequential until-404 read (no counts), same pager, same run. Writes
 * target/bench/ledger-fetch.txt.
 */
@Tag("bench")
class LedgerFetchBench {

  private static final int PAGES = 1000;
  private static final int PER_PAGE = 10;
  private static final Duration LATENCY = Duration.ofMillis(20);

  private static final LedgerPager.PageSink NOTHING = (page, index, transaction) -> {};

  @Test
  void concurrentReadBeatsTheSequentialLoop() throws IOException {
    var transactions = LedgerServer.transactions(PAGES * PER_PAGE, 1000);
    LedgerSettings settings = new LedgerSettings();
    LedgerPager pager = new LedgerPager(LoopbackOutbound.http(), settings);
    List<String> report = new ArrayList<>();
    double ratio;
    try (LedgerServer counted =
            LedgerServer.start().publish(transactions, PER_PAGE, true).latency(LATENCY);
        LedgerServer uncounted =
            LedgerServer.start().publish(transactions, PER_PAGE, false).latency(LATENCY)) {
      pager.read(counted.urlTemplate(), Optional.empty(), NOTHING); // warm-up: JIT, connections

      long start = System.nanoTime();
      AtomicLong received = new AtomicLong();
      var concurrent =
          pager.read(
              counted.urlTemplate(), Optional.empty(), (p, i, t) -> received.incrementAndGet());
      double concurrentSeconds = (System.nanoTime() - start) / 1e9;

      start = System.nanoTime();
      var sequential = pager.read(uncounted.urlTemplate(), Optional.empty(), NOTHING);
      double sequentialSeconds = (System.nanoTime() - start) / 1e9;

      assertThat(concurrent.pageCount()).isEqualTo(PAGES);
      assertThat(sequential.pageCount()).isEqualTo(PAGES);
      assertThat(received.get()).isEqualTo(PAGES * PER_PAGE);

      double floor = (double) PAGES / settings.getConcurrency() * LATENCY.toMillis() / 1000;
      ratio = concurrentSeconds / floor;
      report.add(
          String.format(
              "%d pages x %d transactions, %d ms latency per page, concurrency %d",
              PAGES, PER_PAGE, LATENCY.toMillis(), settings.getConcurrency()));
      report.add(String.format("sequential until-404 loop:   %6.2f s", sequentialSeconds));
      report.add(String.format("concurrent (counts known):   %6.2f s", concurrentSeconds));
      report.add(
          String.format(
              "speed-up:                    %6.1fx (goal: at least 6x)",
              sequentialSeconds / concurrentSeconds));
      report.add(
          String.format(
              "floor pages/concurrency x latency: %.2f s; concurrent read is %.0f%% above it",
              floor, (concurrentSeconds / floor - 1) * 100));
      assertThat(sequentialSeconds / concurrentSeconds).as("speed-up").isGreaterThanOrEqualTo(6);
    }
    Path out = Path.of("target", "bench", "ledger-fetch.txt");
    Files.createDirectories(out.getParent());
    Files.write(out, report);
    Files.writeString(
        out.resolveSibling("ledger-fetch.json"),
        String.format("{\"ratioToFloor\": %.3f}%n", ratio));
    report.forEach(System.out::println);
  }
}
