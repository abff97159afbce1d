package dev.buildserver.outbound;

import dev.buildserver.common.Durations;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micronaut.context.BeanProvider;
import io.micronaut.core.util.SupplierUtil;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Fetches URLs under the outbound rules: every hop of a redirect is checked by the guard,
 * credentials go only over https or to allow-listed hosts and follow redirects only to the same
 * origin, headers must arrive within the read timeout, and a body fails when the server is silent
 * for the read timeout, when the whole fetch passes the total timeout, or when it passes the cap.
 * No exception leaves here with a header value in its message.
 */
@Singleton
public class OutboundHttp {

  private static final int MAX_REDIRECTS = 5;

  /** Closes bodies that stall; one daemon thread for all fetches. */
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "outbound-watchdog");
            t.setDaemon(true);
            return t;
          });

  private final OutboundSettings settings;
  private final OutboundGuard guard;

  /** Built on first use: its TLS set-up need not delay a start (the operator's readiness). */
  private final Supplier<HttpClient> client;

  /** Without a Kubernetes API server to protect (the CLI, tests). */
  public OutboundHttp(OutboundSettings settings) {
    this(settings, OutboundGuard.of(settings, List.of()));
  }

  /**
   * In the operator: the API server's own addresses are refused too (unless loopback is allowed, as
   * for the CLI, or the host is allow-listed).
   */
  @Inject
  public OutboundHttp(OutboundSettings settings, BeanProvider<KubernetesClient> kubernetes) {
    this(settings, OutboundGuard.of(settings, apiServerHosts(settings, kubernetes)));
  }

  public OutboundHttp(OutboundSettings settings, OutboundGuard guard) {
    this.settings = settings;
    this.guard = guard;
    this.client =
        SupplierUtil.memoized(
            () ->
                HttpClient.newBuilder()
                    .connectTimeout(settings.getConnectTimeout())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build());
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
    if (!headers.isEmpty() && !guard.mayCarryCredentials(uri)) {
      throw new OutboundRefused(
          Reason.InsecureToken,
          "a bearer token is sent only over https, or over plain http to a host listed in"
              + " buildserver.outbound.allow-hosts; "
              + display(uri)
              + " is neither: use https, or allow-list the host");
    }
    long deadline = System.nanoTime() + settings.getTotalTimeout().toNanos();
    Map<String, String> sent = headers;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpResponse<InputStream> response = send(uri, sent, deadline);
      int status = response.statusCode();
      if (status >= 300 && status < 400 && response.headers().firstValue("location").isPresent()) {
        closeQuietly(response.body());
        URI next = redirect(uri, response.headers().firstValue("location").get());
        if (!sameOrigin(uri, next)) {
          sent = Map.of(); // credentials go only to the origin they were meant for
        }
        uri = next;
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
          new GuardedBody(
              response.body(),
              settings.getMaxBytes(),
              length,
              settings.getReadTimeout(),
              deadline,
              uri),
          length,
          response.headers().firstValue("content-type"));
    }
    throw new OutboundRefused(
        Reason.UrlFailed,
        "more than " + MAX_REDIRECTS + " redirects from " + display(URI.create(url)));
  }

  private URI redirect(URI from, String location) throws OutboundRefused {
    URI next;
    try {
      next = from.resolve(location.trim());
    } catch (IllegalArgumentException e) {
      throw new OutboundRefused(
          Reason.UrlFailed, display(from) + " redirects to an invalid location");
    }
    next = guard.check(next.toString());
    if ("https".equalsIgnoreCase(from.getScheme()) && "http".equalsIgnoreCase(next.getScheme())) {
      throw new OutboundRefused(
          Reason.UrlRefused,
          display(from) + " redirects from https to plain http (" + display(next) + "): refused");
    }
    return next;
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI uri) {
    return uri.getPort() != -1
        ? uri.getPort()
        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  private HttpResponse<InputStream> send(URI uri, Map<String, String> headers, long deadline)
      throws OutboundRefused {
    Duration left = Duration.ofNanos(deadline - System.nanoTime());
    if (left.isNegative() || left.isZero()) {
      throw expired(uri);
    }
    HttpRequest request;
    try {
      HttpRequest.Builder builder =
          HttpRequest.newBuilder(uri)
              .timeout(
                  left.compareTo(settings.getReadTimeout()) < 0 ? left : settings.getReadTimeout())
              .GET();
      headers.forEach(builder::header);
      request = builder.build();
    } catch (IllegalArgumentException e) {
      // The JDK puts the rejected header value in its message: never pass it on.
      throw new OutboundRefused(
          Reason.UrlFailed,
          "the request to "
              + display(uri)
              + " cannot be sent: a header holds a character HTTP does not allow");
    }
    try {
      return client.get().send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new OutboundRefused(
          Reason.UrlUnreachable, "no answer from " + display(uri) + " in time", e);
    } catch (IOException e) {
      throw new OutboundRefused(
          Reason.UrlUnreachable, "cannot fetch " + display(uri) + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutboundRefused(
          Reason.UrlUnreachable, "interrupted while fetching " + display(uri), e);
    } catch (RuntimeException e) {
      throw new OutboundRefused(
          Reason.UrlUnreachable,
          "cannot fetch " + display(uri) + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  private OutboundRefused expired(URI uri) {
    return new OutboundRefused(Reason.UrlUnreachable, expiredMessage(uri));
  }

  private String expiredMessage(URI uri) {
    return display(uri)
        + " did not finish within "
        + Durations.format(settings.getTotalTimeout())
        + " (buildserver.outbound.total-timeout)";
  }

  /** The API server's host, as the operator's client knows it, and the in-cluster service IP. */
  private static List<String> apiServerHosts(
      OutboundSettings settings, BeanProvider<KubernetesClient> kubernetes) {
    if (settings.isAllowLoopback() || !kubernetes.isPresent()) {
      return List.of();
    }
    List<String> hosts = new ArrayList<>();
    try {
      hosts.add(kubernetes.get().getMasterUrl().getHost());
    } catch (RuntimeException e) {
      // no kubeconfig: nothing to protect
    }
    String serviceHost = System.getenv("KUBERNETES_SERVICE_HOST");
    if (serviceHost != null && !serviceHost.isBlank()) {
      hosts.add(serviceHost);
    }
    return hosts;
  }

  private OutboundRefused tooLarge(URI uri) {
    return new OutboundRefused(
        Reason.TooLarge,
        display(uri)
            + " is larger than the outbound limit of "
            + settings.getMaxBytes()
            + " bytes");
  }

  /**
   * A URL without user info and query, which may carry credentials, cut and escaped for a message
   * (a redirect's location is the server's to choose).
   */
  public static String display(URI uri) {
    return Echo.value(
        uri.getScheme()
            + "://"
            + uri.getHost()
            + (uri.getPort() == -1 ? "" : ":" + uri.getPort())
            + (uri.getPath() == null ? "" : uri.getPath()));
  }

  private static String describe(IOException e) {
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : Echo.value(e.getMessage());
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /**
   * A response body that fails (never truncates) when it passes the size cap, when the server sends
   * nothing for the read timeout while it is being read, when the whole fetch passes its deadline,
   * or when it ends before its Content-Length. Time the reader spends elsewhere (waiting for an
   * upload slot, say) is not the server's silence.
   */
  private final class GuardedBody extends FilterInputStream {
    private final long limit;
    private final long expected;
    private final long idleNanos;
    private final long deadline;
    private final URI uri;
    private final ScheduledFuture<?> watch;
    private volatile long readingSince; // 0 while no read is waiting for the server
    private volatile String failure;
    private long count;

    GuardedBody(InputStream in, long limit, long expected, Duration idle, long deadline, URI uri) {
      super(in);
      this.limit = limit;
      this.expected = expected;
      this.idleNanos = idle.toNanos();
      this.deadline = deadline;
      this.uri = uri;
      long period = Math.max(50, Math.min(idle.toMillis() / 4, 1000));
      this.watch =
          WATCHDOG.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    private void check() {
      long now = System.nanoTime();
      long since = readingSince;
      if (now - deadline > 0) {
        stop(expiredMessage(uri));
      } else if (since != 0 && now - since > idleNanos) {
        stop(
            "no data from "
                + display(uri)
                + " for "
                + Duration.ofNanos(idleNanos).toSeconds()
                + " s");
      }
    }

    private void stop(String why) {
      failure = why;
      watch.cancel(false);
      closeQuietly(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (failure != null) {
        throw new IOException(failure);
      }
      int n;
      readingSince = System.nanoTime() | 1; // never 0 while reading
      try {
        n = super.read(buffer, offset, length);
      } catch (IOException e) {
        throw failure != null ? new IOException(failure) : e;
      } finally {
        readingSince = 0;
      }
      if (failure != null) {
        throw new IOException(failure);
      }
      if (n > 0) {
        count += n;
        if (count > limit) {
          throw new BodyTooLargeException(tooLarge(uri));
        }
      } else if (n < 0 && expected >= 0 && count < expected) {
        throw new IOException(
            display(uri) + " ended after " + count + " of " + expected + " bytes");
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      watch.cancel(false);
      super.close();
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
