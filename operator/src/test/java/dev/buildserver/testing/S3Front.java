package dev.buildserver.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An S3-compatible store made of a real one (moto) and a front on 127.0.0.1: one that changes how
 * DeleteObject treats {@code If-Match}, as other stores do (LocalStack 4.14 answers 501
 * NotImplemented, {@link Deletes#NOT_IMPLEMENTED}; MinIO accepts the header and deletes anyway,
 * {@link Deletes#IGNORED}), or one that serves TLS with a certificate of its own ({@link #tls}).
 * Everything else is passed on as it came (method, path and query, headers, body) and the answer
 * copied back; the front counts what it passed on and the DeleteObject calls it saw with the
 * header.
 */
public final class S3Front implements AutoCloseable {

  /** What the front does with {@code If-Match} on DeleteObject. */
  public enum Deletes {
    NOT_IMPLEMENTED,
    IGNORED,
    /** Passed on, like everything else. */
    PASSED_ON
  }

  /** Headers the JDK client sets itself, and hop-by-hop ones (RFC 9110, 7.6.1). */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "host",
          "content-length",
          "expect",
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade");

  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(8);
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final URI target;
  private final Deletes deletes;
  private final AtomicInteger conditionalDeletes = new AtomicInteger();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final TestCertificates certificates;
  private volatile String deniedWrites;

  private S3Front(URI target, Deletes deletes, TestCertificates certificates) throws IOException {
    this.target = target;
    this.deletes = deletes;
    this.certificates = certificates;
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (certificates == null) {
      this.server = HttpServer.create(loopback, 0);
    } else {
      HttpsServer https = HttpsServer.create(loopback, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(certificates.serverContext()));
      this.server = https;
    }
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /** A front before {@code target} (an S3 endpoint) that treats conditional deletes as given. */
  public static S3Front before(URI target, Deletes deletes) {
    return start(target, deletes, null);
  }

  /**
   * An HTTPS front before {@code target} with a certificate signed by a throwaway CA, made in
   * {@code dir}: a client trusts it only through {@link #caBundle()}.
   */
  public static S3Front tls(URI target, Path dir) {
    return start(target, Deletes.PASSED_ON, TestCertificates.in(dir));
  }

  private static S3Front start(URI target, Deletes deletes, TestCertificates certificates) {
    try {
      return new S3Front(target, deletes, certificates);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:PORT}, or {@code https://} for a TLS front. */
  public URI endpoint() {
    String scheme = certificates == null ? "http" : "https";
    return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The CA that signed a TLS front's certificate, as a PEM file. */
  public Path caBundle() {
    return certificates.caBundle();
  }

  /** Requests passed on to the target: for a TLS front, those past the handshake. */
  public int forwarded() {
    return forwarded.get();
  }

  /**
   * From now on, answers 403 AccessDenied to every PutObject whose key contains {@code keyPart}, as
   * an IAM policy that allows only some keys would.
   */
  public S3Front denyingWrites(String keyPart) {
    this.deniedWrites = keyPart;
    return this;
  }

  /** DeleteObject calls seen with {@code If-Match}. */
  public int conditionalDeletes() {
    return conditionalDeletes.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      boolean conditionalDelete =
          deletes != Deletes.PASSED_ON
              && method.equals("DELETE")
              && exchange.getRequestHeaders().containsKey("If-Match")
              && exchange.getRequestURI().getRawQuery() == null; // not an abort or a version
      String denied = deniedWrites;
      if (denied != null
          && method.equals("PUT")
          && exchange.getRequestURI().getRawPath().contains(denied)) {
        answer(exchange, 403, "AccessDenied", "Access Denied");
        return;
      }
      if (conditionalDelete) {
        conditionalDeletes.incrementAndGet();
        if (deletes == Deletes.NOT_IMPLEMENTED) {
          answer(
              exchange,
              501,
              "NotImplemented",
              "A header you provided implies functionality that is not implemented");
          return;
        }
      }
      forward(exchange, conditionalDelete);
    }
  }

  /** An S3 error answer. */
  private static void answer(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    byte[] body =
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>"
                + code
                + "</Code><Message>"
                + message
                + "</Message></Error>")
            .getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/xml");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  private void forward(HttpExchange exchange, boolean dropIfMatch) throws IOException {
    forwarded.incrementAndGet();
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    URI uri = target.resolve(exchange.getRequestURI().getRawPath());
    String query = exchange.getRequestURI().getRawQuery();
    if (query != null) {
      uri = URI.create(uri + "?" + query);
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(30))
            .method(
                exchange.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
      String name = header.getKey().toLowerCase(java.util.Locale.ROOT);
      if (NOT_FORWARDED.contains(name) || (dropIfMatch && name.equals("if-match"))) {
        continue;
      }
      header.getValue().forEach(value -> request.header(header.getKey(), value));
    }
    HttpResponse<byte[]> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    response
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))
                  && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, values);
              }
            });
    byte[] answer = response.body();
    boolean head = exchange.getRequestMethod().equals("HEAD");
    if (head) { // the JDK server leaves a HEAD answer's length to the handler
      response
          .headers()
          .firstValue("Content-Length")
          .ifPresent(length -> exchange.getResponseHeaders().set("Content-Length", length));
    }
    boolean noBody = head || answer.length == 0;
    exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : answer.length);
    if (!noBody) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
