package dev.buildserver.chaos;

import java.time.Duration;

/**
 * How big a chaos run is: {@code -Dchaos.size=small} (the default, inside make test) or {@code
 * full} (make chaos).
 */
record ChaosSize(
    String name,
    int runs,
    int assets,
    int reports,
    int kills,
    int batchRuns,
    int batchAssets,
    Duration deadline) {

  static ChaosSize current() {
    return switch (System.getProperty("chaos.size", "small")) {
      case "full" -> new ChaosSize("full", 30, 30, 5, 8, 6, 10, Duration.ofMinutes(10));
      case "small" -> new ChaosSize("small", 6, 10, 2, 3, 2, 5, Duration.ofMinutes(4));
      default -> throw new IllegalArgumentException("chaos.size is small or full");
    };
  }
}
