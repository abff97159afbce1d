package dev.buildserver.common;

import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.UUID;

/**
 * Which operator process this is: the pod name (POD_NAME, from the downward API) or the host name
 * with a random suffix. Names the Lease holder and the reporting instance of Events.
 */
@Singleton
public class InstanceIdentity {

  private final String name =
      Optional.ofNullable(System.getenv("POD_NAME"))
          .filter(n -> !n.isBlank())
          .orElseGet(() -> hostname() + "-" + UUID.randomUUID().toString().substring(0, 8));

  public String name() {
    return name;
  }

  private static String hostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "operator";
    }
  }
}
