package dev.buildserver.common;

import jakarta.inject.Singleton;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.Optional;

/**
 * Fetches URLs under the outbound rules: every hop of a redirect is checked by the guard, headers
 * must arrive within the read timeout, and a body larger than the cap fails with {@code TooLarge}.
 */
@Singleton
public class OutboundHttp {

  private static final int MAX_REDIRECTS = 5;

  private final OutboundSettings settings;
  private final OutboundGuard guard;
  private final HttpClient client;

  public OutboundHttp(OutboundSettings settings) {
    this(settings, OutboundGuard.of(settings));
  }

  public OutboundHttp(OutboundSettings settings, OutboundGuard guard) {
    this.settings = settings;
    this.guard = guard;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(settings.getConnectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public OutboundGuard guard() {
    return guard;
  }

  /** A successful (2xx) response whose body must be closed by the caller. */
  public record Response(
      int status, InputStream body, long contentLength, Optional<String> contentType) {}

  /**
   * GETs the URL and returns the open body; a non-2xx answer other than a redirect fails with
   * reason {@code UrlFailed} (the status is in {@link HttpStatusException}).
   */
  public Response get(String url, Map<String, String> headers) throws OutboundRefused {
    URI uri = guard.check(url);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpResponse<InputStream> response = send(uri, headers);
      int status = response.statusCode();
      if (status >= 300 && status < 400 && response.headers().firstValue("location").isPresent()) {
        closeQuietly(response.body());
        uri = guard.check(uri.resolve(response.headers().firstValue("location").get()).toString());
        continue;
      }
      if (status < 200 || status >= 300) {
        closeQuietly(response.body());
        throw new HttpStatusException(status, uri);
      }
      long length = response.headers().firstValueAsLong("content-length").orElse(-1);
      if (length > settings.getMaxBytes()) {
        closeQuietly(response.body());
        throw tooLarge(uri);
      }
      return new Response(
          status,
          new CappedInputStream(response.body(), settings.getMaxBytes(), uri),
          length,
          response.headers().firstValue("content-type"));
    }
    throw new OutboundRefused("UrlFailed", "more than " + MAX_REDIRECTS + " redirects from " + url);
  }

  private HttpResponse<InputStream> send(URI uri, Map<String, String> headers)
      throws OutboundRefused {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(settings.getReadTimeout()).GET();
    headers.forEach(request::header);
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new OutboundRefused("UrlUnreachable", "no answer from " + display(uri) + " in time", e);
    } catch (IOException e) {
      throw new OutboundRefused(
          "UrlUnreachable", "cannot fetch " + display(uri) + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutboundRefused("UrlUnreachable", "interrupted while fetching " + display(uri), e);
    }
  }

  private OutboundRefused tooLarge(URI uri) {
    return new OutboundRefused(
        "TooLarge",
        display(uri)
            + " is larger than the outbound limit of "
            + settings.getMaxBytes()
            + " bytes");
  }

  /** A URL without its query, which may carry credentials. */
  public static String display(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getAuthority()
        + (uri.getPath() == null ? "" : uri.getPath());
  }

  private static String describe(IOException e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /** A non-2xx answer. */
  public static class HttpStatusException extends OutboundRefused {
    private final int status;

    HttpStatusException(int status, URI uri) {
      super("UrlFailed", display(uri) + " answered HTTP " + status);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** Fails the read once more than {@code limit} bytes came through. */
  private final class CappedInputStream extends FilterInputStream {
    private final long limit;
    private final URI uri;
    private long count;

    CappedInputStream(InputStream in, long limit, URI uri) {
      super(in);
      this.limit = limit;
      this.uri = uri;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) throws IOException {
      count += n;
      if (count > limit) {
        throw new BodyTooLargeException(tooLarge(uri));
      }
    }
  }

  /** Thrown from a body read that passed the size cap; carries the refusal. */
  public static class BodyTooLargeException extends IOException {
    private final OutboundRefused refusal;

    BodyTooLargeException(OutboundRefused refusal) {
      super(refusal.getMessage());
      this.refusal = refusal;
    }

    public OutboundRefused refusal() {
      return refusal;
    }
  }
}
