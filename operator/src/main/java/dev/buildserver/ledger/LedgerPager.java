package dev.buildserver.ledger;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.outbound.OutboundRefused;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.CharConversionException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
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

  /** The longest string a page may hold: no field of a transaction needs more. */
  static final int MAX_STRING_LENGTH = 4096;

  /** Receives each transaction of a page (index from 1) as it is parsed; must be thread-safe. */
  public interface PageSink {
    void accept(int page, int index, Transaction transaction);
  }

  /** How a read ended: the pages it read and the totalCount page 1 announced (if any). */
  public record Read(int pageCount, Long totalCount) {}

  /** What one page said besides its transactions. */
  private record PageSummary(Long totalCount, Integer page, int transactions, String digest) {}

  private final BuildserverMetrics metrics;
  private final OutboundHttp http;
  private final LedgerSettings settings;
  private final ExecutorService pages;
  private final ObjectMapper json =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(MAX_STRING_LENGTH)
                          .maxNestingDepth(64)
                          .maxNumberLength(64)
                          .build())
                  .build())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

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
    Optional<PageSummary> first = onPool(() -> pass.page(1));
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
      Optional<PageSummary> page = onPool(() -> pass.page(number));
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

    Optional<PageSummary> page(int number) {
      return LedgerPager.this.page(urlTemplate, number, headers, sink, transactions);
    }

    /** Checks what a page said about itself once it was read. */
    void accept(int number, PageSummary page) {
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
    List<Future<Optional<PageSummary>>> futures = new ArrayList<>();
    try {
      for (int n = from; n <= to; n++) {
        int number = n;
        futures.add(pages.submit(() -> pass.page(number)));
      }
      for (int i = 0; i < futures.size(); i++) {
        int number = from + i;
        Optional<PageSummary> page = futures.get(i).get();
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
  private Optional<PageSummary> onPool(Callable<Optional<PageSummary>> request) {
    Future<Optional<PageSummary>> future = pages.submit(request);
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
  private Optional<PageSummary> page(
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
      PageSummary page = parse(response, number, sink, transactions);
      metrics.pageFetched();
      return Optional.of(page);
    }
  }

  /**
   * Parses one page as it streams in, handing each transaction to {@code sink}. A page that is not
   * a ledger page is described by its content type and size, never by its content.
   */
  private PageSummary parse(
      OutboundHttp.Response response, int number, PageSink sink, AtomicLong transactions) {
    if (response.contentLength() > settings.getMaxPageBytes()) {
      closeQuietly(response.body());
      throw tooLarge(number); // announced: refused before a byte is read
    }
    CountingStream body = new CountingStream(response.body(), settings.getMaxPageBytes());
    try (body;
        JsonParser parser = json.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw notAPage(number, response, body, null);
      }
      Long totalCount = null;
      Integer pageField = null;
      int count = 0;
      MessageDigest digest = sha256();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "totalCount" -> totalCount = json.readValue(parser, Long.class);
          case "page" -> pageField = json.readValue(parser, Integer.class);
          case "transactions" -> {
            if (value == JsonToken.VALUE_NULL) {
              break;
            }
            if (value != JsonToken.START_ARRAY) {
              throw notAPage(number, response, body, "transactions is not a list");
            }
            while (parser.nextToken() != JsonToken.END_ARRAY) {
              Transaction t =
                  parser.currentToken() == JsonToken.VALUE_NULL
                      ? null
                      : json.readValue(parser, Transaction.class);
              count++;
              if (transactions.incrementAndGet() > settings.getMaxTransactions()) {
                throw new Problem(
                    Reason.LedgerTooLarge,
                    "the ledger has more than "
                        + settings.getMaxTransactions()
                        + " transactions (buildserver.ledger.max-transactions)",
                    false);
              }
              update(digest, t);
              sink.accept(number, count, t);
            }
          }
          default -> parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT) {
        throw notAPage(number, response, body, null);
      }
      return new PageSummary(
          totalCount, pageField, count, HexFormat.of().formatHex(digest.digest()));
    } catch (IOException e) {
      throw readFailure(e, number, response, body);
    }
  }

  /** What a page that could not be read all the way says about itself, never its content. */
  private Problem readFailure(
      IOException e, int number, OutboundHttp.Response response, CountingStream body) {
    if (causedBy(e, PageTooLarge.class)) {
      return tooLarge(number);
    }
    if (causedBy(e, StreamConstraintsException.class)) {
      return new Problem(
          Reason.MalformedPage,
          "page "
              + number
              + " is not a ledger page: it holds a value longer or deeper than a ledger field can"
              + " be (at most "
              + MAX_STRING_LENGTH
              + " characters)",
          false);
    }
    if (causedBy(e, CharConversionException.class)
        || (e instanceof JsonProcessingException
            && String.valueOf(e.getMessage()).contains("UTF"))) {
      return notAPage(number, response, body, "it is not UTF-8 text");
    }
    if (e instanceof JsonProcessingException) {
      return notAPage(number, response, body, null);
    }
    // Part of the page may have reached the sink: the page cannot be read again on its own. The
    // outbound layer's messages carry no header value, and they say why (a deadline, silence).
    return new Problem(
        Reason.LedgerUnreachable,
        "page "
            + number
            + ": the body broke off after "
            + body.count()
            + " bytes ("
            + Echo.value(e.getMessage())
            + "); the ledger is read again",
        true,
        e);
  }

  private Problem tooLarge(int number) {
    return new Problem(
        Reason.TooLarge,
        "page "
            + number
            + " is larger than "
            + settings.getMaxPageBytes()
            + " bytes (buildserver.ledger.max-page-bytes)",
        false);
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // nothing more to read
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** MalformedPage naming what was received (content type and size), never what it said. */
  private static Problem notAPage(
      int number, OutboundHttp.Response response, CountingStream body, String detail) {
    return new Problem(
        Reason.MalformedPage,
        "page "
            + number
            + " is not a ledger page"
            + (detail == null ? "" : " (" + detail + ")")
            + ": the answer was "
            + response.contentType().map(Echo::value).orElse("untyped")
            + ", "
            + body.count()
            + " bytes read; expected a JSON object like {\"totalCount\": 38, \"page\": 1,"
            + " \"transactions\": [{\"Date\", \"Ledger\", \"Amount\", \"Company\"}]}",
        false);
  }

  /** Adds one transaction to a page's digest, for telling a repeated page. */
  private static void update(MessageDigest digest, Transaction t) {
    if (t == null) {
      digest.update((byte) 0);
      return;
    }
    for (String part : new String[] {t.date(), t.ledger(), t.amount(), t.company()}) {
      byte[] bytes = String.valueOf(part).getBytes(StandardCharsets.UTF_8);
      digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      digest.update(bytes);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A page body past max-page-bytes. */
  private static final class PageTooLarge extends IOException {
    PageTooLarge() {
      super("page too large");
    }
  }

  /** Counts the bytes of a body and stops it at a cap. */
  private static final class CountingStream extends FilterInputStream {
    private final long cap;
    private long count;

    CountingStream(InputStream in, long cap) {
      super(in);
      this.cap = cap;
    }

    long count() {
      return count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    private void counted(int n) throws PageTooLarge {
      count += n;
      if (count > cap) {
        throw new PageTooLarge();
      }
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
