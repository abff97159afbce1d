package dev.buildserver.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP server on 127.0.0.1 for tests: serves bodies registered by path, generated on the
 * fly (so large bodies cost no memory), answers 404 for anything else, and counts requests.
 */
public final class StaticHttpServer implements AutoCloseable {

  /** Writes a body of a known length. */
  public interface Body {
    long length();

    void writeTo(OutputStream out) throws IOException;
  }

  private final HttpServer server;
  private final Map<String, Body> bodies = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();

  private StaticHttpServer(HttpServer server) {
    this.server = server;
  }

  public static StaticHttpServer start() {
    // Without TCP_NODELAY the JDK server's small writes meet delayed ACKs: ~40 ms per response.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      StaticHttpServer result = new StaticHttpServer(server);
      server.createContext(
          "/",
          exchange -> {
            result.requests.incrementAndGet();
            Body body = result.bodies.get(exchange.getRequestURI().getPath());
            if (body == null) {
              exchange.sendResponseHeaders(404, -1);
              exchange.close();
              return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, body.length());
            try (OutputStream out = exchange.getResponseBody()) {
              body.writeTo(out);
            } catch (IOException e) {
              // the client went away
            }
          });
      server.setExecutor(Executors.newFixedThreadPool(16));
      server.start();
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void serve(String path, byte[] data) {
    bodies.put(
        path,
        new Body() {
          public long length() {
            return data.length;
          }

          public void writeTo(OutputStream out) throws IOException {
            out.write(data);
          }
        });
  }

  public void serve(String path, Body body) {
    bodies.put(path, body);
  }

  /** A deterministic pseudo-random body of {@code length} bytes, generated while it is sent. */
  public static Body generated(long length, long seed) {
    return new Body() {
      public long length() {
        return length;
      }

      public void writeTo(OutputStream out) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        java.util.Random random = new java.util.Random(seed);
        for (long left = length; left > 0; ) {
          random.nextBytes(chunk);
          int n = (int) Math.min(chunk.length, left);
          out.write(chunk, 0, n);
          left -= n;
        }
      }
    };
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  public int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
