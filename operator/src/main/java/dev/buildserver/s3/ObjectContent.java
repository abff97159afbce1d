package dev.buildserver.s3;

import java.io.InputStream;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** The bytes of an object to write. */
public sealed interface ObjectContent {

  /** Small content held in memory. */
  record Bytes(byte[] data) implements ObjectContent {}

  /** An S3 object copied server-side. */
  record S3Object(String bucket, String key, String versionId) implements ObjectContent {}

  /**
   * A stream of unknown length, opened once (when the write happens) and closed by the store; its
   * source may name a content type (an HTTP response does). When it goes up in parts, {@code
   * uploadStarted} is told the multipart upload's id before the first part is sent, so that its
   * writer can record it and abort exactly that upload should it die midway.
   */
  record Stream(Supplier<Opened> open, Consumer<String> uploadStarted) implements ObjectContent {

    /** A stream whose multipart upload id nobody records. */
    public Stream(Supplier<Opened> open) {
      this(open, uploadId -> {});
    }
  }

  /** An opened stream and the content type its source names, if any. */
  record Opened(InputStream body, Optional<String> contentType) {}
}
