package dev.buildserver.asset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.Resources;
import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A 1 GiB {@code url} source uploaded by {@code builder operator} running with a 128 MiB heap, the
 * same through {@code builder put-asset --url} and {@code --file} (also at -Xmx128m), and a plain
 * AWS SDK upload of the same file, all to moto on this machine. Writes the numbers to
 * target/bench/asset-upload.txt.
 */
@Tag("bench")
class AssetUploadBench {

  private static final long SIZE = 1024L * 1024 * 1024;
  private static final double MIB = 1024 * 1024;

  @Test
  void uploadsAGigabyteWithA128MiBHeap() throws Exception {
    MotoServer moto = MotoServer.get();
    moto.reset();
    List<String> report = new ArrayList<>();
    String json = null;
    try (StaticHttpServer web = StaticHttpServer.start()) {
      web.serve("/big.bin", StaticHttpServer.generated(SIZE, 512));
      String url = web.url("/big.bin");
      AwsSettings settings = new AwsSettings();
      settings.setEndpoint(moto.endpoint());
      settings.setRegion("us-east-1");
      try (AwsClients aws = new AwsClients(settings)) {
        S3Client s3 = aws.s3("us-east-1");
        s3.createBucket(b -> b.bucket("bench"));

        // The operator's own transfer options: part size and parts in flight (the memory cap of a
        // streamed upload is (parts in flight + 1) x part size); the first is the default.
        double operatorSeconds = Double.NaN;
        warmUp(web);
        for (int[] option : new int[][] {{8, 2}, {5, 4}, {6, 3}, {8, 4}}) {
          Cpu before = Cpu.now();
          double seconds = viaOperator(url, option[0], option[1]);
          String cpu = before.since(seconds);
          var head = s3.headObject(b -> b.bucket("bench").key("operator.bin"));
          assertThat(head.contentLength()).isEqualTo(SIZE);
          long parts = (SIZE + option[0] * 1024L * 1024 - 1) / (option[0] * 1024L * 1024);
          assertThat(head.eTag().replace("\"", ""))
              .as("the operator took its part size from the settings")
              .endsWith("-" + parts);
          report.add(
              line(
                  String.format(
                      "builder operator, url source, %d MiB parts, %d in flight (cap %d MiB)",
                      option[0], option[1], (option[1] + 1) * option[0]),
                  seconds));
          report.add("    " + cpu);
          s3.deleteObject(b -> b.bucket("bench").key("operator.bin"));
          if (Double.isNaN(operatorSeconds)) {
            operatorSeconds = seconds;
          }
        }

        long start = System.nanoTime();
        var cli = putAsset("cli.bin", "--url", url);
        double cliSeconds = (System.nanoTime() - start) / 1e9;
        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        assertThat(cli.stdout()).contains("\"size\":" + SIZE);
        report.add(line("builder put-asset --url, -Xmx128m (incl. JVM start)", cliSeconds));
        s3.deleteObject(b -> b.bucket("bench").key("cli.bin"));

        Path file = Files.createTempFile("bench", ".bin");
        try (OutputStream out = Files.newOutputStream(file)) {
          StaticHttpServer.generated(SIZE, 512).writeTo(out);
        }
        start = System.nanoTime();
        var fromFile = putAsset("file.bin", "--file", file.toString());
        double fileSeconds = (System.nanoTime() - start) / 1e9;
        assertThat(fromFile.exitCode()).as(fromFile.stderr()).isZero();
        report.add(line("builder put-asset --file, -Xmx128m (incl. JVM start)", fileSeconds));
        s3.deleteObject(b -> b.bucket("bench").key("file.bin"));

        Cpu before = Cpu.now();
        start = System.nanoTime();
        s3.putObject(b -> b.bucket("bench").key("sdk.bin"), RequestBody.fromFile(file));
        double sdkSeconds = (System.nanoTime() - start) / 1e9;
        report.add(
            line(
                "plain AWS SDK putObject(RequestBody.fromFile), same JVM as the test", sdkSeconds));
        report.add("    " + before.since(sdkSeconds));
        report.addAll(SdkTransfers.compare(moto.endpoint(), file, SIZE));
        Files.delete(file);
        report.add(
            String.format(
                "operator (defaults) / plain SDK putObject: %.2fx the speed",
                sdkSeconds / operatorSeconds));
        json = String.format("{\"speedRatio\": %.3f}", sdkSeconds / operatorSeconds);
      }
    }
    write(report, json);
  }

  /**
   * Starts builder operator at -Xmx128m with the given part size and parts in flight, applies a
   * BuildAsset with the URL, waits for Uploaded.
   */
  private static double viaOperator(String url, int partSizeMib, int partsInFlight)
      throws IOException {
    KubeApi api = KubeApi.get();
    String namespace = api.newNamespace("bench");
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", api.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", namespace);
    env.put("BUILDSERVER_OUTBOUND_ALLOW_HOSTS", "127.0.0.1"); // the test's web server, on loopback
    env.put("BUILDSERVER_ASSET_PART_SIZE_MIB", Integer.toString(partSizeMib));
    env.put("BUILDSERVER_ASSET_PARTS_IN_FLIGHT", Integer.toString(partsInFlight));
    try (BuilderProcess operator =
        BuilderProcess.start(
            "bench-operator", BuilderProcess.freePort(), env, List.of("-Xmx128m"), "operator")) {
      await()
          .atMost(Duration.ofSeconds(90))
          .failFast(() -> !operator.process().isAlive())
          .until(
              () ->
                  operator.get("/health/readiness") != null
                      && operator.get("/health/readiness").statusCode() == 200);
      BuildAsset asset =
          Serialization.unmarshal(
              """
              apiVersion: buildserver.dev/v1alpha1
              kind: BuildAsset
              metadata: {name: a-gigabyte}
              spec: {bucket: bench, key: operator.bin, sha256: %s, source: {url: "%s"}}
              """
                  .formatted(sha256(), url),
              BuildAsset.class);
      asset.getMetadata().setNamespace(namespace);
      long start = System.nanoTime();
      api.client().resource(asset).create();
      BuildAsset done =
          await()
              .atMost(Duration.ofMinutes(10))
              .pollInterval(Duration.ofMillis(200))
              .failFast("the operator died (out of memory?)", () -> !operator.process().isAlive())
              .until(
                  () -> api.client().resource(asset).get(),
                  a ->
                      Resources.condition(a, "Ready")
                          .map(
                              c ->
                                  !"Unknown".equals(c.getStatus())
                                      && !"Uploading".equals(c.getReason())) // parts still going
                          .orElse(false));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(Resources.condition(done, "Ready").orElseThrow().getReason())
          .isEqualTo("Uploaded");
      assertThat(done.getStatus().getSize()).isEqualTo(SIZE);
      assertThat(operator.log()).doesNotContain("OutOfMemoryError");
      return seconds;
    }
  }

  /**
   * CPU seconds used by moto and by everything else on the machine (the operator, the test's web
   * server), from the kernel's accounting: where the two cores went during an upload.
   */
  private record Cpu(double moto, double machine) {

    static Cpu now() {
      return new Cpu(MotoServer.get().cpuTime().toMillis() / 1000.0, machineBusySeconds());
    }

    String since(double wallSeconds) {
      Cpu after = now();
      double motoCpu = after.moto - moto;
      double all = after.machine - machine;
      return String.format(
          "CPU: moto %.1f s, the rest %.1f s, of %.1f s wall on %d cores (%.0f%% busy)",
          motoCpu,
          all - motoCpu,
          wallSeconds,
          Runtime.getRuntime().availableProcessors(),
          100 * all / (wallSeconds * Runtime.getRuntime().availableProcessors()));
    }

    /** user + nice + system + irq + softirq seconds of every CPU, from /proc/stat. */
    private static double machineBusySeconds() {
      try {
        String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long ticks = 0;
        for (int i : new int[] {1, 2, 3, 6, 7}) {
          ticks += Long.parseLong(cpu[i]);
        }
        return ticks / 100.0; // USER_HZ
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * One untimed 256 MiB upload through the CLI first, so that the first timed run does not pay for
   * the web server's and moto's warm-up.
   */
  private static void warmUp(StaticHttpServer web) {
    web.serve("/warm-up.bin", StaticHttpServer.generated(SIZE / 4, 512));
    var warm = putAsset("warm-up.bin", "--url", web.url("/warm-up.bin"));
    assertThat(warm.exitCode()).as(warm.stderr()).isZero();
  }

  /** {@code builder put-asset --bucket bench --key KEY --url|--file SOURCE} at -Xmx128m. */
  private static BuilderProcess.Result putAsset(String key, String sourceFlag, String source) {
    return BuilderProcess.run(
        BuilderProcess.awsEnv(),
        List.of("-Xmx128m"),
        new byte[0],
        "put-asset",
        "--bucket",
        "bench",
        "--key",
        key,
        sourceFlag,
        source);
  }

  /** The sha256 of the generated content, which the operator must verify before it completes. */
  private static String sha256() throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
        StaticHttpServer.generated(SIZE, 512).writeTo(out);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String line(String what, double seconds) {
    return String.format("%-70s %6.1f s  %7.1f MiB/s", what, seconds, SIZE / MIB / seconds);
  }

  private static void write(List<String> report, String json) throws IOException {
    Path out = Path.of("target", "bench", "asset-upload.txt");
    if (json != null) {
      Files.createDirectories(out.getParent());
      Files.writeString(out.resolveSibling("asset-upload.json"), json + "\n");
    }
    Files.createDirectories(out.getParent());
    List<String> lines = new ArrayList<>();
    lines.add(
        "1 GiB to moto on 127.0.0.1, sha256 verified by the operator ("
            + Runtime.getRuntime().availableProcessors()
            + " cores)");
    lines.addAll(report);
    Files.write(out, lines);
    lines.forEach(System.out::println);
  }
}
