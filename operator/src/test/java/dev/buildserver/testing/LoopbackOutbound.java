package dev.buildserver.testing;

import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.outbound.OutboundSettings;
import java.util.List;

/**
 * Outbound rules for component tests whose servers run on 127.0.0.1: loopback may be fetched from,
 * as the CLI may; {@link #trustedHttp()} also allow-lists 127.0.0.1, so that a bearer token may go
 * there over plain http (as {@code make run} allows its sample ledger).
 */
public final class LoopbackOutbound {

  private LoopbackOutbound() {}

  public static OutboundHttp http() {
    OutboundSettings settings = new OutboundSettings();
    settings.setAllowLoopback(true);
    return new OutboundHttp(settings);
  }

  public static OutboundHttp trustedHttp() {
    OutboundSettings settings = new OutboundSettings();
    settings.setAllowHosts(List.of("127.0.0.1"));
    return new OutboundHttp(settings);
  }
}
