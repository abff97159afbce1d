package dev.buildserver.asset;

import java.io.InputStream;
import java.util.function.Supplier;

/** Where the bytes of an asset come from, once the spec's source has been resolved. */
public sealed interface AssetContent {

  /** Small content held in memory: inline text, base64, a ConfigMap or Secret key. */
  record Bytes(byte[] data) implements AssetContent {}

  /** Content downloaded from an http(s) URL and streamed to S3. */
  record Url(String url) implements AssetContent {}

  /** An S3 object copied server-side. */
  record S3Object(String bucket, String key, String versionId) implements AssetContent {}

  /** A stream from the CLI or the HTTP API; opened once, closed by the store. */
  record Stream(Supplier<InputStream> open) implements AssetContent {}
}
