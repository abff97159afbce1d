package dev.buildserver.asset;

import dev.buildserver.outbound.HttpStatusException;
import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.outbound.OutboundRefused;
import dev.buildserver.s3.ObjectContent;
import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import jakarta.inject.Singleton;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Fetches a {@code url} source under the outbound rules, as a stream the object store uploads. A
 * failure to fetch or to read the body becomes a condition reason: transient HTTP statuses and
 * connection errors are retried, the rest wait for the spec to change.
 */
@Singleton
public class UrlSource {

  private final OutboundHttp http;

  public UrlSource(OutboundHttp http) {
    this.http = http;
  }

  /** Opens the URL; the body is read (and its failures reported) as the upload goes. */
  public ObjectContent.Opened open(String url) {
    OutboundHttp.Response response;
    try {
      response = http.get(url, Map.of());
    } catch (HttpStatusException e) {
      throw new Problem(
          e.kind(), e.getMessage() + ": check " + Setting.SOURCE_URL.mention(), e.isTransient());
    } catch (OutboundRefused e) {
      throw e.toProblem(e.getMessage());
    }
    return new ObjectContent.Opened(new Body(response.body()), response.contentType());
  }

  /** The response body, whose read failures are conditions rather than I/O errors. */
  private static final class Body extends FilterInputStream {
    Body(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      try {
        return super.read(buffer, offset, length);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        super.close();
      } catch (IOException e) {
        throw failure(e); // a connection that broke at the end is retried, like one mid-body
      }
    }

    private static Problem failure(IOException e) {
      if (e instanceof OutboundHttp.BodyTooLargeException tooLarge) {
        return new Problem(tooLarge.refusal().kind(), tooLarge.refusal().getMessage(), false, e);
      }
      return new Problem(
          Reason.UrlUnreachable, "reading the URL failed: " + Echo.value(e.getMessage()), true, e);
    }
  }
}
