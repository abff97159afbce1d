package dev.buildserver.ledger;

import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.outbound.HttpStatusException;
import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.outbound.OutboundRefused;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads every page of a ledger API and hands each transaction to a {@link PageSink} as it is
 * parsed: a page is a stream, never held whole, so a read holds a few buffers per page in flight
 * whatever the ledger serves. Page 1 comes first; when it gives {@code totalCount} and a page size,
 * the remaining pages are fetched concurrently and the end is confirmed by a 404; without counts,
 * pages are read one by one until a 404. Every page request, of every report, runs on one bounded
 * pool. Pages are checked as they arrive: a wrong {@code page} field, a page repeating an earlier
 * one, malformed JSON, a value longer than a ledger field can be, more transactions than allowed. A
 * page is retried while no part of it was read (5xx, 429, connection errors); a body cut midway
 * fails the read, which its report retries whole.
 */
@Singleton
public class LedgerPager {

  /** Receives each transaction of a page (index from 1) as it is parsed; must be thread-safe. */
  public interface PageSink {
    void accept(int page, int index, Transaction transaction);
  }

  /** How a read ended: the pages it read and the totalCount page 1 announced (if any). */
  public record Read(int pageCount, Long totalCount) {}

  private final BuildserverMetrics metrics;
  private final OutboundHttp http;
  private final LedgerSettings settings;
  private final ExecutorService pages;
  private final LedgerPageParser parser;

  public LedgerPager(OutboundHttp http, LedgerSettings settings) {
    this(http, settings, BuildserverMetrics.unregistered());
  }

  @Inject
  public LedgerPager(OutboundHttp http, LedgerSettings settings, BuildserverMetrics metrics) {
    this.metrics = metrics;
    this.http = http;
    this.settings = settings;
    this.parser = new LedgerPageParser(settings);
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

  /** Reads the whole ledger into {@code sink}. */
  public Read read(String urlTemplate, Optional<String> token, PageSink sink) {
    if (!urlTemplate.contains("{page}")) {
      throw new Problem(
          Reason.InvalidUrl,
          "the ledger URL must contain {page}, e.g. http://ledger/transactions/{page}.json",
          false);
    }
    Map<String, String> headers =
        token.map(t -> Map.of("Authorization", "Bearer " + t)).orElse(Map.of());
    Pass pass = new Pass(urlTemplate, headers, sink);
    Optional<LedgerPageParser.PageSummary> first = onPool(() -> pass.page(1));
    if (first.isEmpty()) {
      return new Read(0, null);
    }
    pass.accept(1, first.get());
    Long total = first.get().totalCount();
    int pageSize = first.get().transactions();
    int next = 2;
    if (total != null && pageSize > 0) {
      long expected = (total + pageSize - 1) / pageSize;
      if (expected > settings.getMaxPages()) {
        throw tooManyPages(total, pageSize);
      }
      fetchConcurrently(pass, 2, (int) expected);
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
      Optional<LedgerPageParser.PageSummary> page = onPool(() -> pass.page(number));
      if (page.isEmpty()) {
        return new Read(next - 1, total);
      }
      pass.accept(next, page.get());
      next++;
    }
  }

  /** One read of a ledger: its URL, headers, sink, and what its pages said so far. */
  private final class Pass {
    private final String urlTemplate;
    private final Map<String, String> headers;
    private final PageSink sink;
    private final AtomicLong transactions = new AtomicLong();
    private final Map<String, Integer> seen = new ConcurrentHashMap<>();

    Pass(String urlTemplate, Map<String, String> headers, PageSink sink) {
      this.urlTemplate = urlTemplate;
      this.headers = headers;
      this.sink = sink;
    }

    Optional<LedgerPageParser.PageSummary> page(int number) {
      return LedgerPager.this.page(urlTemplate, number, headers, sink, transactions);
    }

    /** Checks what a page said about itself once it was read. */
    void accept(int number, LedgerPageParser.PageSummary page) {
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
      // Without a page field, a page identical to an earlier one means the page number is
      // ignored; with a matching page field, identical pages are the ledger's duplicate content.
      if (page.page() == null && page.transactions() > 0) {
        Integer earlier = seen.putIfAbsent(page.digest(), number);
        if (earlier != null) {
          throw new Problem(
              Reason.MalformedPage,
              "page "
                  + number
                  + " repeats page "
                  + earlier
                  + ": the server ignores the page number",
              false);
        }
      }
    }
  }

  private void fetchConcurrently(Pass pass, int from, int to) {
    List<Future<Optional<LedgerPageParser.PageSummary>>> futures = new ArrayList<>();
    try {
      for (int n = from; n <= to; n++) {
        int number = n;
        futures.add(pages.submit(() -> pass.page(number)));
      }
      for (int i = 0; i < futures.size(); i++) {
        int number = from + i;
        Optional<LedgerPageParser.PageSummary> page = futures.get(i).get();
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
        pass.accept(number, page.get());
      }
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
  private Optional<LedgerPageParser.PageSummary> onPool(
      Callable<Optional<LedgerPageParser.PageSummary>> request) {
    Future<Optional<LedgerPageParser.PageSummary>> future = pages.submit(request);
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

  /**
   * One page into {@code sink}, its request retried on 5xx, 429 and connection errors while none of
   * its body was read; empty on 404. Its transactions count towards the read's cap.
   */
  private Optional<LedgerPageParser.PageSummary> page(
      String urlTemplate,
      int number,
      Map<String, String> headers,
      PageSink sink,
      AtomicLong transactions) {
    String url = urlTemplate.replace("{page}", Integer.toString(number));
    long backoff = settings.getRetryBackoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      OutboundHttp.Response response;
      try {
        response = http.get(url, headers);
      } catch (HttpStatusException e) {
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
        sleep(backoff);
        backoff *= 2;
        continue;
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
        sleep(backoff);
        backoff *= 2;
        continue;
      }
      LedgerPageParser.PageSummary page = parser.parse(response, number, sink, transactions);
      metrics.pageFetched();
      return Optional.of(page);
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
