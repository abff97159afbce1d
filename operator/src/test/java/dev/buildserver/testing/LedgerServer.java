package dev.buildserver.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.buildserver.ledger.LedgerPage;
import dev.buildserver.ledger.Transaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A ledger API on 127.0.0.1 for tests: serves {@code /ledger/<n>.json} pages of published
 * transactions and 404 after the last, with optional latency, failures, a required bearer token and
 * raw page bodies for malformed-page cases.
 */
public final class LedgerServer implements AutoCloseable {

  private static final Pattern PAGE = Pattern.compile("^/ledger/(\\d+)\\.json$");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] LEDGERS = {
    "Phone & Internet Expense",
    "Travel Expense, Nonreimbursable",
    "Office Expense",
    "Insurance Expense"
  };

  private final HttpServer server;
  private volatile List<String> pages = List.of();
  private volatile long latencyMillis;
  private volatile String token;
  private final Map<Integer, String> rawPages = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicInteger> failures = new ConcurrentHashMap<>();
  private final Map<Integer, Integer> failureStatus = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger mostInFlight = new AtomicInteger();

  private LedgerServer(HttpServer server) {
    this.server = server;
  }

  public static LedgerServer start() {
    // Without TCP_NODELAY the JDK server's small writes meet delayed ACKs: ~40 ms per response.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    try {
      HttpServer http =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      LedgerServer ledger = new LedgerServer(http);
      http.createContext("/", ledger::handle);
      http.setExecutor(Executors.newFixedThreadPool(32));
      http.start();
      return ledger;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Serves the transactions in pages of {@code pageSize}, with or without totalCount. */
  public LedgerServer publish(
      List<Transaction> transactions, int pageSize, boolean withTotalCount) {
    return publish(transactions, pageSize, withTotalCount ? (long) transactions.size() : null);
  }

  /** As above, announcing any totalCount (null: none), to serve inconsistent ledgers. */
  public LedgerServer publish(List<Transaction> transactions, int pageSize, Long totalCount) {
    List<String> bodies = new ArrayList<>();
    for (int from = 0, n = 1; from < transactions.size(); from += pageSize, n++) {
      var page =
          new LedgerPage(
              totalCount,
              n,
              transactions.subList(from, Math.min(from + pageSize, transactions.size())));
      try {
        bodies.add(JSON.writeValueAsString(page));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    pages = List.copyOf(bodies);
    return this;
  }

  /** Serves the files {@code 1.json, 2.json, ...} of a directory as the pages, as they are. */
  public LedgerServer serveFiles(java.nio.file.Path directory) {
    List<String> bodies = new ArrayList<>();
    for (int n = 1; java.nio.file.Files.exists(directory.resolve(n + ".json")); n++) {
      try {
        bodies.add(java.nio.file.Files.readString(directory.resolve(n + ".json")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    pages = List.copyOf(bodies);
    return this;
  }

  public LedgerServer latency(Duration latency) {
    latencyMillis = latency.toMillis();
    return this;
  }

  public LedgerServer requireToken(String token) {
    this.token = token;
    return this;
  }

  /** Serves this body for page {@code n} instead of the published one. */
  public LedgerServer rawPage(int n, String body) {
    rawPages.put(n, body);
    return this;
  }

  /** Answers {@code status} the next {@code times} requests of page {@code n}. */
  public LedgerServer fail(int n, int times, int status) {
    failures.put(n, new AtomicInteger(times));
    failureStatus.put(n, status);
    return this;
  }

  public String urlTemplate() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/ledger/{page}.json";
  }

  public int requests() {
    return requests.get();
  }

  /** The most requests this server was answering at one time. */
  public int mostInFlight() {
    return mostInFlight.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    boolean waiting = true;
    try (exchange) {
      if (latencyMillis > 0) {
        Thread.sleep(latencyMillis);
      }
      // Answered from here on: a client that has read this answer may send its next request
      // before this thread gets to run again, so the request stops counting as in flight now.
      inFlight.decrementAndGet();
      waiting = false;
      if (token != null
          && !("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      Matcher m = PAGE.matcher(exchange.getRequestURI().getPath());
      if (!m.matches()) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      int n = Integer.parseInt(m.group(1));
      AtomicInteger left = failures.get(n);
      if (left != null && left.getAndDecrement() > 0) {
        exchange.sendResponseHeaders(failureStatus.get(n), -1);
        return;
      }
      String body =
          rawPages.containsKey(n)
              ? rawPages.get(n)
              : n >= 1 && n <= pages.size() ? pages.get(n - 1) : null;
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (waiting) {
        inFlight.decrementAndGet();
      }
    }
  }

  /** Deterministic transactions with 0-2 decimals, over about two months, in shuffled order. */
  public static List<Transaction> transactions(int count, long seed) {
    Random random = new Random(seed);
    List<Transaction> result = new ArrayList<>();
    LocalDate start = LocalDate.of(2013, 12, 1);
    for (int i = 0; i < count; i++) {
      long cents = random.nextInt(200_000) - 150_000;
      String amount =
          switch (random.nextInt(3)) {
            case 0 -> BigDecimal.valueOf(cents / 100).toPlainString();
            case 1 -> BigDecimal.valueOf(cents / 10, 1).toPlainString();
            default -> BigDecimal.valueOf(cents, 2).toPlainString();
          };
      result.add(
          new Transaction(
              start.plusDays(random.nextInt(60)).toString(),
              LEDGERS[random.nextInt(LEDGERS.length)],
              amount,
              "COMPANY " + random.nextInt(20)));
    }
    return result;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
