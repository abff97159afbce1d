package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.LoopbackOutbound;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
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
    List<Transaction> published = LedgerServer.transactions(95, 1);
    server.publish(published, 10, true);
    List<Transaction> received = new CopyOnWriteArrayList<>();
    var read = pager.read(server.urlTemplate(), Optional.empty(), (p, i, t) -> received.add(t));
    assertThat(read.pageCount()).isEqualTo(10);
    assertThat(read.totalCount()).isEqualTo(95);
    assertThat(received).hasSize(95).containsExactlyInAnyOrderElementsOf(published);
    assertThat(server.requests()).isEqualTo(11); // ten pages and the 404 after them
  }

  @Test
  void readsPageByPageUntilA404WithoutCounts() {
    server.publish(LedgerServer.transactions(35, 2), 10, false);
    var read = read(pager);
    assertThat(read.pageCount()).isEqualTo(4);
    assertThat(read.totalCount()).isNull();
    assertThat(server.requests()).isEqualTo(5);
  }

  @Test
  void anEmptyLedgerIsA404OnPageOne() {
    assertThat(read(pager).pageCount()).isZero();
  }

  @Test
  void retriesServerErrorsWithBackoff() {
    server.publish(LedgerServer.transactions(30, 3), 10, true).fail(2, 2, 503).fail(1, 1, 500);
    assertThat(read(pager).pageCount()).isEqualTo(3);
  }

  @Test
  void givesUpOnAPersistentServerErrorAsRetryable() {
    server.publish(LedgerServer.transactions(30, 3), 10, true).fail(2, 100, 502);
    assertThatThrownBy(() -> read(pager))
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
    assertThatThrownBy(() -> read(pager))
        .isInstanceOf(Problem.class)
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("LedgerUnauthorized"));
    assertThat(pager.read(server.urlTemplate(), Optional.of("s3cret"), (p, i, t) -> {}).pageCount())
        .isEqualTo(1);
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
    assertThatThrownBy(
            () -> pager.read("http://169.254.169.254/{page}", Optional.empty(), (p, i, t) -> {}))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("link-local");
  }

  @Test
  void describesAnAnswerThatIsNotALedgerPageByItsTypeAndSizeNeverItsContent() {
    // A BalanceReport must not become a way to read cluster-internal endpoints.
    server.rawPage(1, "<html>internal-admin-token-Zq81</html>");
    assertProblem("MalformedPage", "page 1 is not a ledger page");
    assertThatThrownBy(() -> read(pager)).message().doesNotContain("Zq81").contains("bytes read");
    server.rawPage(1, "\"internal-admin-token-Zq81\"");
    assertThatThrownBy(() -> read(pager)).message().doesNotContain("Zq81");
    server.rawPage(1, "{\"transactions\": [{\"Date\": {\"internal-admin-token-Zq81\": 1}}]}");
    assertThatThrownBy(() -> read(pager)).message().doesNotContain("Zq81");
  }

  @Test
  void refusesAValueLongerThanALedgerFieldCanBe() {
    String company = "x".repeat(LedgerPageParser.MAX_STRING_LENGTH + 1);
    server.rawPage(
        1,
        "{\"transactions\": [{\"Date\": \"2014-01-01\", \"Ledger\": \"A\", \"Amount\": \"1\","
            + " \"Company\": \""
            + company
            + "\"}]}");
    assertProblem("MalformedPage", "longer or deeper than a ledger field can be");
  }

  @Test
  void stopsAPageAtItsByteCap() {
    LedgerSettings small = new LedgerSettings();
    small.setMaxPageBytes(1_000);
    LedgerPager capped = new LedgerPager(LoopbackOutbound.http(), small);
    server.publish(LedgerServer.transactions(50, 10), 50, true);
    assertThatThrownBy(() -> read(capped))
        .isInstanceOf(Problem.class)
        .hasMessageContaining("larger than 1000 bytes")
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("TooLarge"));
  }

  private LedgerPager.Read read(LedgerPager pager) {
    return pager.read(server.urlTemplate(), Optional.empty(), (p, i, t) -> {});
  }

  private void assertProblem(String reason, String message) {
    assertThatThrownBy(() -> read(pager))
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
