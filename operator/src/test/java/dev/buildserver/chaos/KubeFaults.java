package dev.buildserver.chaos;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fabric8 {@link Interceptor} for the operator's Kubernetes client that sends a share of its
 * requests to a loopback server of its own instead of the API server. That server answers like a
 * troubled API server: 500 or 503 with a Status body, 409 Conflict to writes, or a connection
 * closed without an answer (a reset).
 */
final class KubeFaults implements Interceptor, AutoCloseable {

  private static final String[] READ_FAULTS = {"500", "503", "reset"};
  private static final String[] WRITE_FAULTS = {"409", "500", "reset"};

  private final double rate;
  private final Random random = new Random(7);
  private final HttpServer server;
  private final Map<String, AtomicInteger> injected = new ConcurrentHashMap<>();
  private volatile boolean on = true;

  KubeFaults(double rate) {
    this.rate = rate;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/fault/",
        exchange -> {
          String kind = exchange.getRequestURI().getPath().substring("/fault/".length());
          exchange.getRequestBody().readAllBytes();
          if ("reset".equals(kind)) {
            exchange.close(); // no answer at all: the client sees the connection end
            return;
          }
          int code = Integer.parseInt(kind);
          byte[] body =
              ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"injected"
                      + " fault\",\"reason\":\""
                      + (code == 409 ? "Conflict" : "InternalError")
                      + "\",\"code\":"
                      + code
                      + "}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(code, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    String kind;
    synchronized (random) {
      if (!on || random.nextDouble() >= rate) {
        return;
      }
      String[] kinds = "GET".equals(request.method()) ? READ_FAULTS : WRITE_FAULTS;
      kind = kinds[random.nextInt(kinds.length)];
    }
    injected.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    builder.uri(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/fault/" + kind));
  }

  /** Stops injecting (the requests already sent keep their answers). */
  void off() {
    on = false;
  }

  /** The faults injected, by kind ("kube-client/409", ...). */
  Map<String, Integer> injected() {
    Map<String, Integer> counts = new TreeMap<>();
    injected.forEach((kind, n) -> counts.put("kube-client/" + kind, n.get()));
    return counts;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
