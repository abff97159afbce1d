package dev.buildserver.ec2;

import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds how many runs per region have an instance at once. Active runs are counted from the
 * informer cache (so the count survives a restart); a launch granted here is also held in memory
 * until the cache shows it, so that two reconciles cannot both take the last slot.
 */
public class LaunchSlots {

  private static final Set<Phase> ACTIVE =
      Set.of(Phase.Launching, Phase.WaitingForRunning, Phase.Verifying, Phase.Terminating);
  private static final Duration HELD_FOR = Duration.ofMinutes(2);

  private final int perRegion;
  private final Map<String, Grant> granted = new ConcurrentHashMap<>();

  private record Grant(String region, Instant at) {}

  public LaunchSlots(int perRegion) {
    this.perRegion = Math.max(1, perRegion);
  }

  public synchronized boolean tryAcquire(
      String region, String uid, Collection<Ec2TestRun> cached, Instant now) {
    if (granted.containsKey(uid)) {
      return true;
    }
    granted.values().removeIf(g -> g.at().plus(HELD_FOR).isBefore(now));
    Set<String> active = new HashSet<>();
    for (Ec2TestRun run : cached) {
      var status = run.getStatus();
      if (status != null
          && status.getPhase() != null
          && run.getSpec() != null
          && region.equals(run.getSpec().region())
          && ACTIVE.contains(status.getPhase())) {
        active.add(run.getMetadata().getUid());
      }
    }
    granted.forEach(
        (u, g) -> {
          if (g.region().equals(region)) {
            active.add(u);
          }
        });
    if (active.size() >= perRegion) {
      return false;
    }
    granted.put(uid, new Grant(region, now));
    return true;
  }

  public void release(String uid) {
    granted.remove(uid);
  }
}
