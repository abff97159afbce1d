package dev.buildserver.chaos;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bad network weather on toxiproxy proxies: every {@code spell} one toxic (latency, connection
 * resets, stalled connections that time out, or a thin pipe) is put on every proxy, then taken off,
 * in turn, until stopped. Counts the spells by kind.
 */
final class NetworkWeather implements AutoCloseable {

  /** A toxic and the attributes and share of connections it takes. */
  private record Toxic(String type, double toxicity, Map<String, Object> attributes) {}

  private static final List<Toxic> TOXICS =
      List.of(
          new Toxic("latency", 1.0, Map.of("latency", 250, "jitter", 200)),
          new Toxic("reset_peer", 0.3, Map.of("timeout", 200)),
          new Toxic("timeout", 0.2, Map.of("timeout", 3000)),
          new Toxic("bandwidth", 1.0, Map.of("rate", 512)));

  private final Toxiproxy toxiproxy;
  private final List<String> proxies;
  private final ScheduledExecutorService clock =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "network-weather"));
  private final Random random = new Random(5);
  private final Map<String, AtomicInteger> spells = new ConcurrentHashMap<>();
  private volatile Toxic current;

  NetworkWeather(Toxiproxy toxiproxy, List<String> proxies) {
    this.toxiproxy = toxiproxy;
    this.proxies = List.copyOf(proxies);
  }

  /** Starts the spells: each lasts {@code spellMillis}, with as long a calm after it. */
  void start(long spellMillis) {
    clock.scheduleWithFixedDelay(this::turn, 0, spellMillis, TimeUnit.MILLISECONDS);
  }

  private void turn() {
    try {
      if (current != null) {
        calm();
        return;
      }
      Toxic toxic = TOXICS.get(random.nextInt(TOXICS.size()));
      current = toxic; // set first: the calm after it removes whatever part of it went on
      for (String proxy : proxies) {
        toxiproxy.addToxic(proxy, toxic.type(), toxic.type(), toxic.toxicity(), toxic.attributes());
      }
      // Counted once toxiproxy took it on every proxy.
      spells.computeIfAbsent("network/" + toxic.type(), k -> new AtomicInteger()).incrementAndGet();
    } catch (RuntimeException e) {
      // a failed toxiproxy call ends this turn; the next one calms what went on
    }
  }

  /**
   * Removes the current toxic from every proxy. A removal toxiproxy did not confirm keeps the spell
   * current, so the next turn tries again: a toxic left behind (a latency on every chunk) would
   * stall large downloads for the rest of the run.
   */
  private void calm() {
    Toxic toxic = current;
    boolean cleared = true;
    for (String proxy : proxies) {
      cleared &= toxiproxy.clearToxic(proxy, toxic.type());
    }
    if (cleared) {
      current = null;
    }
  }

  /** The spells so far, by kind ("network/latency", ...). */
  Map<String, Integer> spells() {
    Map<String, Integer> counts = new TreeMap<>();
    spells.forEach((kind, n) -> counts.put(kind, n.get()));
    return counts;
  }

  /** Ends the spells and leaves the network clear. */
  @Override
  public void close() {
    clock.shutdownNow();
    try {
      clock.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Every kind of toxic off every proxy, each tried up to 3 times: the next test starts clear.
    for (Toxic toxic : TOXICS) {
      for (String proxy : proxies) {
        for (int attempt = 0;
            attempt < 3 && !toxiproxy.clearToxic(proxy, toxic.type());
            attempt++) {
          // tried again
        }
      }
    }
    current = null;
  }
}
