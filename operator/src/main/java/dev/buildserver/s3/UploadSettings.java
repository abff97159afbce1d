package dev.buildserver.s3;

import io.micronaut.context.annotation.ConfigurationProperties;

/** Limits of streamed uploads, under {@code buildserver.asset}. */
@ConfigurationProperties("buildserver.asset")
public class UploadSettings {

  private int concurrentUploads = 4;
  private int partSizeMib = 8;
  private int partsInFlight = 2;

  /**
   * Streamed uploads at once (url sources, CLI and HTTP bodies); each holds up to (parts-in-flight
   * + 1) x part-size-mib, 24 MiB by default. Default 4.
   */
  public int getConcurrentUploads() {
    return concurrentUploads;
  }

  public void setConcurrentUploads(int concurrentUploads) {
    this.concurrentUploads = Math.max(1, concurrentUploads);
  }

  /**
   * Part size of a streamed upload in MiB, 5 (S3's least) to 64. Default 8: with 10,000 parts at
   * most, a streamed object of unknown length can hold up to 78 GiB.
   */
  public int getPartSizeMib() {
    return partSizeMib;
  }

  public void setPartSizeMib(int partSizeMib) {
    this.partSizeMib = Math.min(64, Math.max(5, partSizeMib));
  }

  /** Parts of one streamed upload sent at once while the next is read, 1 to 8. Default 2. */
  public int getPartsInFlight() {
    return partsInFlight;
  }

  public void setPartsInFlight(int partsInFlight) {
    this.partsInFlight = Math.min(8, Math.max(1, partsInFlight));
  }

  int partSizeBytes() {
    return partSizeMib * 1024 * 1024;
  }
}
