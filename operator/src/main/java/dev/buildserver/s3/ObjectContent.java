package dev.buildserver.s3;

import java.io.InputStream;
import java.util.Optional;
import java.util.function.Supplier;

/** The bytes of an object to write. */
public sealed interface ObjectContent {

  /** Small content held in memory. */
  record Bytes(byte[] data) implements ObjectContent {}

  /** An S3 object copied server-side. */
  record S3Object(String bucket, String key, String versionId) implements ObjectContent {}

  /**
   * A stream of unknown length, opened once (when the write happens) and closed by the store; its
   * source may name a content type (an HTTP response does).
   */
  record Stream(Supplier<Opened> open) implements ObjectContent {}

  /** An opened stream and the content type its source names, if any. */
  record Opened(InputStream body, Optional<String> contentType) {}
}
