package dev.buildserver.outbound;

import dev.buildserver.status.Reason;
import java.net.URI;

/** A non-2xx answer to an outbound fetch (after redirects). */
public class HttpStatusException extends OutboundRefused {

  private final int status;

  HttpStatusException(int status, URI uri) {
    super(Reason.UrlFailed, OutboundHttp.display(uri) + " answered HTTP " + status);
    this.status = status;
  }

  public int status() {
    return status;
  }

  /**
   * Whether the status is worth retrying (5xx, 429, 408): the one rule for url sources and ledger
   * pages.
   */
  public boolean isTransient() {
    return status >= 500 || status == 429 || status == 408;
  }
}
