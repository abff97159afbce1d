package dev.buildserver.s3;

import io.micronaut.context.annotation.ConfigurationProperties;

/** Limits of streamed uploads, under {@code buildserver.asset}. */
@ConfigurationProperties("buildserver.asset")
public class UploadSettings {

  private int concurrentUploads = 4;

  /**
   * Streamed uploads at once (url sources, CLI and HTTP bodies); each holds up to 24 MiB. Default
   * 4.
   */
  public int getConcurrentUploads() {
    return concurrentUploads;
  }

  public void setConcurrentUploads(int concurrentUploads) {
    this.concurrentUploads = Math.max(1, concurrentUploads);
  }
}
