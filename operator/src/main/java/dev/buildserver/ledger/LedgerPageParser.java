package dev.buildserver.ledger;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.io.CharConversionException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads one ledger page as it streams in: each transaction goes to the sink as soon as it is
 * parsed, so a page is never held whole. Bounded: the page's bytes (max-page-bytes), every string
 * ({@value #MAX_STRING_LENGTH} characters), the nesting, and the read's transactions. A page that
 * is not a ledger page is described by its content type and size, never by its content.
 */
final class LedgerPageParser {

  /** The longest string a page may hold: no field of a transaction needs more. */
  static final int MAX_STRING_LENGTH = 4096;

  /** What one page said besides its transactions. */
  record PageSummary(Long totalCount, Integer page, int transactions, String digest) {}

  private final LedgerSettings settings;
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

  LedgerPageParser(LedgerSettings settings) {
    this.settings = settings;
  }

  /** Parses one page as it streams in, handing each transaction to {@code sink}. */
  PageSummary parse(
      OutboundHttp.Response response,
      int number,
      LedgerPager.PageSink sink,
      AtomicLong transactions) {
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
}
