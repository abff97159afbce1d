package dev.buildserver.asset;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The AWS SDK's own ways to upload a large file, timed against the same store in the same run as
 * the operator (AssetUploadBench): the multipart client (S3AsyncClient with multipart on) at two
 * part sizes, and the CRT-based S3 client. Each line says what ran, or why it could not.
 */
final class SdkTransfers {

  private static final long MIB = 1024 * 1024;
  private static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));

  private SdkTransfers() {}

  static List<String> compare(URI endpoint, Path file, long size) {
    List<String> lines = new ArrayList<>();
    for (long partMib : new long[] {8, 16}) {
      try (S3AsyncClient multipart =
          S3AsyncClient.builder()
              .endpointOverride(endpoint)
              .region(Region.US_EAST_1)
              .forcePathStyle(true)
              .credentialsProvider(CREDENTIALS)
              .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(8))
              .multipartEnabled(true)
              .multipartConfiguration(
                  c -> c.minimumPartSizeInBytes(partMib * MIB).thresholdInBytes(partMib * MIB))
              .build()) {
        lines.add(
            time(
                String.format("AWS SDK multipart client, %d MiB parts (netty)", partMib),
                size,
                () -> multipart.putObject(b -> b.bucket("bench").key("multipart.bin"), file)));
      }
    }
    try (S3AsyncClient crt =
        S3AsyncClient.crtBuilder()
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(CREDENTIALS)
            .minimumPartSizeInBytes(8 * MIB)
            .build()) {
      lines.add(
          time(
              "AWS SDK CRT-based S3 client, 8 MiB parts",
              size,
              () ->
                  crt.putObject(
                      b -> b.bucket("bench").key("crt.bin"), AsyncRequestBody.fromFile(file))));
    } catch (RuntimeException | LinkageError e) {
      lines.add("AWS SDK CRT-based S3 client: did not run here: " + e);
    }
    return lines;
  }

  private static String time(
      String what, long size, java.util.function.Supplier<java.util.concurrent.Future<?>> upload) {
    long start = System.nanoTime();
    try {
      upload.get().get(10, java.util.concurrent.TimeUnit.MINUTES);
    } catch (Exception e) {
      return what + ": failed: " + e;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return String.format(
        "%-70s %6.1f s  %7.1f MiB/s", what, seconds, size / (double) MIB / seconds);
  }
}
