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
    try (StaticHttpServer web = StaticHttpServer.start()) {
      web.serve("/big.bin", StaticHttpServer.generated(SIZE, 512));
      String url = web.url("/big.bin");
      AwsSettings settings = new AwsSettings();
      settings.setEndpoint(moto.endpoint());
      settings.setRegion("us-east-1");
      try (AwsClients aws = new AwsClients(settings)) {
        S3Client s3 = aws.s3("us-east-1");
        s3.createBucket(b -> b.bucket("bench"));

        double operatorSeconds = viaOperator(url);
        assertThat(s3.headObject(b -> b.bucket("bench").key("operator.bin")).contentLength())
            .isEqualTo(SIZE);
        report.add(line("builder operator, url source, -Xmx128m", operatorSeconds));
        s3.deleteObject(b -> b.bucket("bench").key("operator.bin"));

        long start = System.nanoTime();
        var cli =
            BuilderProcess.run(
                BuilderProcess.awsEnv(),
                List.of("-Xmx128m"),
                new byte[0],
                "put-asset",
                "--bucket",
                "bench",
                "--key",
                "cli.bin",
                "--url",
                url);
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
        var fromFile =
            BuilderProcess.run(
                BuilderProcess.awsEnv(),
                List.of("-Xmx128m"),
                new byte[0],
                "put-asset",
                "--bucket",
                "bench",
                "--key",
                "file.bin",
                "--file",
                file.toString());
        double fileSeconds = (System.nanoTime() - start) / 1e9;
        assertThat(fromFile.exitCode()).as(fromFile.stderr()).isZero();
        report.add(line("builder put-asset --file, -Xmx128m (incl. JVM start)", fileSeconds));
        s3.deleteObject(b -> b.bucket("bench").key("file.bin"));

        start = System.nanoTime();
        s3.putObject(b -> b.bucket("bench").key("sdk.bin"), RequestBody.fromFile(file));
        double sdkSeconds = (System.nanoTime() - start) / 1e9;
        Files.delete(file);
        report.add(
            line(
                "plain AWS SDK putObject(RequestBody.fromFile), same JVM as the test", sdkSeconds));
        report.add(
            String.format("ratio operator / plain SDK time: %.2f", operatorSeconds / sdkSeconds));
      }
    }
    write(report);
  }

  /** Starts builder operator at -Xmx128m, applies a BuildAsset with the URL, waits for Uploaded. */
  private static double viaOperator(String url) throws IOException {
    KubeApi api = KubeApi.get();
    String namespace = api.newNamespace("bench");
    Map<String, String> env = new HashMap<>(BuilderProcess.awsEnv());
    env.put("KUBECONFIG", api.kubeconfig().toString());
    env.put("BUILDSERVER_AWS_ENDPOINT", MotoServer.get().endpoint().toString());
    env.put("BUILDSERVER_OPERATOR_WATCH_NAMESPACES", namespace);
    env.put("BUILDSERVER_OUTBOUND_ALLOW_HOSTS", "127.0.0.1"); // the test's web server, on loopback
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
                          .map(c -> !"Unknown".equals(c.getStatus()))
                          .orElse(false));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(Resources.condition(done, "Ready").orElseThrow().getReason())
          .isEqualTo("Uploaded");
      assertThat(done.getStatus().getSize()).isEqualTo(SIZE);
      assertThat(operator.log()).doesNotContain("OutOfMemoryError");
      return seconds;
    }
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

  private static void write(List<String> report) throws IOException {
    Path out = Path.of("target", "bench", "asset-upload.txt");
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
