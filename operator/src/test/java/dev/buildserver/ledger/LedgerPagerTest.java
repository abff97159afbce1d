package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.LoopbackOutbound;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pager against a real ledger API served on 127.0.0.1. */
class LedgerPagerTest {

  private LedgerServer server;
  private LedgerPager pager;

  @BeforeEach
  void start() {
    server = LedgerServer.start();
    LedgerSettings settings = new LedgerSettings();
    settings.setRetryBackoff(Duration.ofMillis(10));
    settings.setMaxPages(50);
    pager = new LedgerPager(LoopbackOutbound.http(), settings);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void readsEveryPageConcurrentlyWhenCountsAreKnownAndConfirmsTheEnd() {
    server.publish(LedgerServer.transactions(95, 1), 10, true);
    var read = pager.fetch(server.urlTemplate(), Optional.empty());
    assertThat(read.pages()).hasSize(10);
    assertThat(read.totalCount()).isEqualTo(95);
    assertThat(BalanceCalculator.served(read.pages())).isEqualTo(95);
    assertThat(server.requests()).isEqualTo(11); // ten pages and the 404 after them
  }

  @Test
  void readsPageByPageUntilA404WithoutCounts() {
    server.publish(LedgerServer.transactions(35, 2), 10, false);
    var read = pager.fetch(server.urlTemplate(), Optional.empty());
    assertThat(read.pages()).containsOnlyKeys(1, 2, 3, 4);
    assertThat(read.totalCount()).isNull();
    assertThat(server.requests()).isEqualTo(5);
  }

  @Test
  void anEmptyLedgerIsA404OnPageOne() {
    var read = pager.fetch(server.urlTemplate(), Optional.empty());
    assertThat(read.pages()).isEmpty();
  }

  @Test
  void retriesServerErrorsWithBackoff() {
    server.publish(LedgerServer.transactions(30, 3), 10, true).fail(2, 2, 503).fail(1, 1, 500);
    var read = pager.fetch(server.urlTemplate(), Optional.empty());
    assertThat(read.pages()).hasSize(3);
  }

  @Test
  void givesUpOnAPersistentServerErrorAsRetryable() {
    server.publish(LedgerServer.transactions(30, 3), 10, true).fail(2, 100, 502);
    assertThatThrownBy(() -> pager.fetch(server.urlTemplate(), Optional.empty()))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("page 2")
        .hasMessageContaining("HTTP 502 after 4 tries")
        .satisfies(e -> assertThat(((Problem) e).retryable()).isTrue());
  }

  @Test
  void sendsTheBearerToken() {
    server.publish(LedgerServer.transactions(5, 4), 10, true).requireToken("s3cret");
    // A token goes over plain http only to an allow-listed host.
    LedgerPager pager = new LedgerPager(LoopbackOutbound.trustedHttp(), new LedgerSettings());
    assertThatThrownBy(() -> pager.fetch(server.urlTemplate(), Optional.empty()))
        .isInstanceOf(Problem.class)
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("LedgerUnauthorized"));
    assertThat(pager.fetch(server.urlTemplate(), Optional.of("s3cret")).pages()).hasSize(1);
  }

  @Test
  void namesTheMalformedPage() {
    server
        .publish(LedgerServer.transactions(30, 5), 10, true)
        .rawPage(2, "{\"totalCount\": 30, \"page\": 2, \"transactions\": [");
    assertProblem("MalformedPage", "page 2 is not a ledger page");
  }

  @Test
  void refusesAPageWithTheWrongNumber() {
    server
        .publish(LedgerServer.transactions(30, 6), 10, true)
        .rawPage(3, "{\"totalCount\": 30, \"page\": 1, \"transactions\": []}");
    assertProblem("MalformedPage", "page 3 says it is page 1");
  }

  @Test
  void refusesAServerThatRepeatsAPageInsteadOfEnding() {
    List<Transaction> one = LedgerServer.transactions(10, 7);
    server.publish(one, 10, false);
    String first = "{\"transactions\": " + json(one) + "}";
    for (int n = 1; n <= 60; n++) {
      server.rawPage(n, first); // ignores the page number, never answers 404
    }
    assertProblem("MalformedPage", "page 2 repeats page 1");
  }

  @Test
  void stopsAtThePageCap() {
    server.publish(LedgerServer.transactions(600, 8), 10, false);
    assertProblem("LedgerTooLarge", "more than 50 pages");
  }

  @Test
  void reportsAGapAsAnInconsistentLedger() {
    server.publish(LedgerServer.transactions(30, 9), 10, 50L); // claims 5 pages, serves 3
    assertProblem("InconsistentLedger", "page 4 answered 404");
  }

  @Test
  void refusesLinkLocalLedgers() {
    assertThatThrownBy(() -> pager.fetch("http://169.254.169.254/{page}", Optional.empty()))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("link-local");
  }

  private void assertProblem(String reason, String message) {
    assertThatThrownBy(() -> pager.fetch(server.urlTemplate(), Optional.empty()))
        .isInstanceOf(Problem.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo(reason))
        .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
  }

  private static String json(List<Transaction> transactions) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(transactions);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
