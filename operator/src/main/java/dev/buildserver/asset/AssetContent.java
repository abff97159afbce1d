package dev.buildserver.asset;

import dev.buildserver.s3.ObjectContent;
import java.io.InputStream;
import java.util.Optional;
import java.util.function.Supplier;

/** Where the bytes of an asset come from, once the spec's source has been resolved. */
public sealed interface AssetContent {

  /** The content as the object store writes it; a URL is fetched when the write happens. */
  default ObjectContent toObjectContent(UrlSource urls) {
    if (this instanceof Bytes bytes) {
      return new ObjectContent.Bytes(bytes.data());
    }
    if (this instanceof S3Object object) {
      return new ObjectContent.S3Object(object.bucket(), object.key(), object.versionId());
    }
    if (this instanceof Url url) {
      return new ObjectContent.Stream(() -> urls.open(url.url()));
    }
    Stream stream = (Stream) this;
    return new ObjectContent.Stream(
        () -> new ObjectContent.Opened(stream.open().get(), Optional.empty()));
  }

  /** Small content held in memory: inline text, base64, a ConfigMap or Secret key. */
  record Bytes(byte[] data) implements AssetContent {}

  /** Content downloaded from an http(s) URL and streamed to S3. */
  record Url(String url) implements AssetContent {}

  /** An S3 object copied server-side. */
  record S3Object(String bucket, String key, String versionId) implements AssetContent {}

  /** A stream from the CLI or the HTTP API; opened once, closed by the store. */
  record Stream(Supplier<InputStream> open) implements AssetContent {}
}
