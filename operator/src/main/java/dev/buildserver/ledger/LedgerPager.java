package dev.buildserver.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.outbound.OutboundRefused;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads every page of a ledger API. Page 1 comes first; when it gives {@code totalCount} and a page
 * size, the remaining pages are fetched concurrently and the end is confirmed by a 404; without
 * counts, pages are read one by one until a 404. Every page request, of every report, runs on one
 * bounded pool. Pages are checked as they arrive: a wrong {@code page} field, a page repeating an
 * earlier one, malformed JSON, more transactions than allowed.
 */
@Singleton
public class LedgerPager {

  private final BuildserverMetrics metrics;
  private final OutboundHttp http;
  private final LedgerSettings settings;
  private final ExecutorService pages;
  private final ObjectMapper json =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public LedgerPager(OutboundHttp http, LedgerSettings settings) {
    this(http, settings, BuildserverMetrics.unregistered());
  }

  @Inject
  public LedgerPager(OutboundHttp http, LedgerSettings settings, BuildserverMetrics metrics) {
    this.metrics = metrics;
    this.http = http;
    this.settings = settings;
    AtomicInteger threads = new AtomicInteger();
    this.pages =
        Executors.newFixedThreadPool(
            settings.getConcurrency(),
            r -> {
              Thread t = new Thread(r, "ledger-page-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  @PreDestroy
  void shutdown() {
    for (Runnable queued : pages.shutdownNow()) {
      if (queued instanceof Future<?> page) {
        page.cancel(true); // a read waiting for it fails instead of waiting forever
      }
    }
  }

  /** The pages read, by page number, and the totalCount page 1 announced (if any). */
  public record Pages(Map<Integer, LedgerPage> pages, Long totalCount) {}

  public Pages fetch(String urlTemplate, Optional<String> token) {
    if (!urlTemplate.contains("{page}")) {
      throw new Problem(
          Reason.InvalidUrl,
          "the ledger URL must contain {page}, e.g. http://ledger/transactions/{page}.json",
          false);
    }
    Map<String, String> headers =
        token.map(t -> Map.of("Authorization", "Bearer " + t)).orElse(Map.of());
    Map<Integer, LedgerPage> pages = new TreeMap<>();
    Map<List<Transaction>, Integer> seen = new HashMap<>();
    AtomicLong transactions = new AtomicLong();
    Optional<LedgerPage> first = onPool(() -> page(urlTemplate, 1, headers, transactions));
    if (first.isEmpty()) {
      return new Pages(pages, null);
    }
    accept(pages, seen, 1, first.get());
    Long total = first.get().totalCount();
    int pageSize = first.get().transactionsOrEmpty().size();
    int next = 2;
    if (total != null && pageSize > 0) {
      long expected = (total + pageSize - 1) / pageSize;
      if (expected > settings.getMaxPages()) {
        throw tooManyPages(total, pageSize);
      }
      for (var fetched :
          fetchConcurrently(urlTemplate, 2, (int) expected, headers, transactions).entrySet()) {
        accept(pages, seen, fetched.getKey(), fetched.getValue());
      }
      next = (int) expected + 1;
    }
    // Sequential until a 404: the whole read without counts, the confirmation of the end with them.
    while (true) {
      if (next > settings.getMaxPages()) {
        throw new Problem(
            Reason.LedgerTooLarge,
            "the ledger has more than "
                + settings.getMaxPages()
                + " pages (buildserver.ledger.max-pages)",
            false);
      }
      int number = next;
      Optional<LedgerPage> page = onPool(() -> page(urlTemplate, number, headers, transactions));
      if (page.isEmpty()) {
        return new Pages(pages, total);
      }
      accept(pages, seen, next, page.get());
      next++;
    }
  }

  private Map<Integer, LedgerPage> fetchConcurrently(
      String urlTemplate, int from, int to, Map<String, String> headers, AtomicLong transactions) {
    Map<Integer, LedgerPage> result = new TreeMap<>();
    List<Future<Optional<LedgerPage>>> futures = new ArrayList<>();
    try {
      for (int n = from; n <= to; n++) {
        int number = n;
        futures.add(pages.submit(() -> page(urlTemplate, number, headers, transactions)));
      }
      for (int i = 0; i < futures.size(); i++) {
        int number = from + i;
        Optional<LedgerPage> page = futures.get(i).get();
        if (page.isEmpty()) {
          throw new Problem(
              Reason.InconsistentLedger,
              "page "
                  + number
                  + " answered 404, but totalCount and the page size of page 1 need "
                  + to
                  + " pages",
              false);
        }
        result.put(number, page.get());
      }
      return result;
    } catch (ExecutionException e) {
      throw failure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Problem(Reason.LedgerFailed, "interrupted while reading the ledger", true, e);
    } finally {
      futures.forEach(f -> f.cancel(true)); // after a failure, the rest is not needed
    }
  }

  /** Runs one page request on the shared pool and waits for it. */
  private Optional<LedgerPage> onPool(Callable<Optional<LedgerPage>> request) {
    Future<Optional<LedgerPage>> future = pages.submit(request);
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw failure(e);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new Problem(Reason.LedgerFailed, "interrupted while reading the ledger", true, e);
    }
  }

  /** The Problem a page request failed with; anything else is named by its type only. */
  private static Problem failure(ExecutionException e) {
    return e.getCause() instanceof Problem p
        ? p
        : new Problem(
            Reason.LedgerFailed,
            "reading a page failed (" + e.getCause().getClass().getSimpleName() + ")",
            true,
            e.getCause());
  }

  private static void accept(
      Map<Integer, LedgerPage> pages,
      Map<List<Transaction>, Integer> seen,
      int number,
      LedgerPage page) {
    if (page.page() != null && page.page() != number) {
      throw new Problem(
          Reason.MalformedPage,
          "page "
              + number
              + " says it is page "
              + page.page()
              + ": the server ignores the page number",
          false);
    }
    // Without a page field, a page identical to an earlier one means the page number is ignored;
    // with a matching page field, identical pages are taken as the ledger's (duplicate) content.
    if (page.page() == null && !page.transactionsOrEmpty().isEmpty()) {
      Integer earlier = seen.putIfAbsent(page.transactionsOrEmpty(), number);
      if (earlier != null) {
        throw new Problem(
            Reason.MalformedPage,
            "page " + number + " repeats page " + earlier + ": the server ignores the page number",
            false);
      }
    }
    pages.put(number, page);
  }

  /**
   * One page, retried on 5xx, 429 and connection errors; empty on 404. Its transactions count
   * towards the read's cap.
   */
  Optional<LedgerPage> page(
      String urlTemplate, int number, Map<String, String> headers, AtomicLong transactions) {
    Optional<LedgerPage> page = page(urlTemplate, number, headers);
    long total = transactions.addAndGet(page.map(p -> p.transactionsOrEmpty().size()).orElse(0));
    if (total > settings.getMaxTransactions()) {
      throw new Problem(
          Reason.LedgerTooLarge,
          "the ledger has more than "
              + settings.getMaxTransactions()
              + " transactions (buildserver.ledger.max-transactions)",
          false);
    }
    return page;
  }

  /** One page, retried on 5xx, 429 and connection errors; empty on 404. */
  Optional<LedgerPage> page(String urlTemplate, int number, Map<String, String> headers) {
    String url = urlTemplate.replace("{page}", Integer.toString(number));
    long backoff = settings.getRetryBackoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        LedgerPage page = read(url, number, headers);
        metrics.pageFetched();
        return Optional.of(page);
      } catch (OutboundHttp.HttpStatusException e) {
        if (e.status() == 404) {
          return Optional.empty();
        }
        if (!e.isTransient()) {
          throw new Problem(
              e.status() == 401 || e.status() == 403
                  ? Reason.LedgerUnauthorized
                  : Reason.LedgerFailed,
              "page "
                  + number
                  + ": "
                  + e.getMessage()
                  + (e.status() == 401 ? " (check " + Setting.LEDGER_TOKEN.mention() + ")" : ""),
              false);
        }
        if (attempt >= settings.getAttempts()) {
          throw new Problem(
              Reason.LedgerUnavailable,
              "page " + number + ": " + e.getMessage() + " after " + attempt + " tries",
              true);
        }
      } catch (OutboundRefused e) {
        if (!e.isTransient()) {
          throw e.toProblem("page " + number + ": " + e.getMessage());
        }
        if (attempt >= settings.getAttempts()) {
          throw new Problem(
              Reason.LedgerUnreachable,
              "page " + number + ": " + e.getMessage() + " after " + attempt + " tries",
              true);
        }
      }
      sleep(backoff);
      backoff *= 2;
    }
  }

  private LedgerPage read(String url, int number, Map<String, String> headers)
      throws OutboundRefused {
    OutboundHttp.Response response = http.get(url, headers);
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.getMaxPageBytes() + 1));
    } catch (OutboundHttp.BodyTooLargeException e) {
      throw new Problem(Reason.TooLarge, "page " + number + ": " + e.getMessage(), false);
    } catch (IOException e) {
      throw new OutboundRefused(
          Reason.UrlUnreachable, "reading the body failed: " + e.getMessage(), e);
    }
    if (body.length > settings.getMaxPageBytes()) {
      throw new Problem(
          Reason.TooLarge,
          "page "
              + number
              + " is larger than "
              + settings.getMaxPageBytes()
              + " bytes (buildserver.ledger.max-page-bytes)",
          false);
    }
    try {
      return json.readValue(body, LedgerPage.class);
    } catch (JsonProcessingException e) {
      throw new Problem(
          Reason.MalformedPage,
          "page " + number + " is not a ledger page: " + e.getOriginalMessage(),
          false);
    } catch (IOException e) {
      throw new Problem(
          Reason.MalformedPage, "page " + number + " cannot be read: " + e.getMessage(), false);
    }
  }

  private Problem tooManyPages(long total, int pageSize) {
    return new Problem(
        Reason.LedgerTooLarge,
        "totalCount "
            + total
            + " at "
            + pageSize
            + " per page needs more than "
            + settings.getMaxPages()
            + " pages (buildserver.ledger.max-pages)",
        false);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Problem(Reason.LedgerFailed, "interrupted while reading the ledger", true, e);
    }
  }
}
