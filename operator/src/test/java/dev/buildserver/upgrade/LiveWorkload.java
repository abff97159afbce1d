package dev.buildserver.upgrade;

import static dev.buildserver.upgrade.BuildserverKinds.ASSET;
import static dev.buildserver.upgrade.BuildserverKinds.REPORT;
import static dev.buildserver.upgrade.BuildserverKinds.RUN;

import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The live resources an upgrade must not disturb, in one namespace: BuildAssets of every source
 * kind (inline, base64, a ConfigMap key, a Secret key, a URL on a loopback server, a server-side
 * copy of an S3 object put first), BalanceReports writing their report to S3, and Ec2TestRuns.
 * Knows the bytes each object must hold, to count losses through S3.
 */
final class LiveWorkload {

  static final String ASSET_BUCKET = "upgrade-assets";
  static final String SOURCE_BUCKET = "upgrade-sources";
  static final String REPORT_BUCKET = "upgrade-reports";
  static final List<String> SOURCE_KINDS =
      List.of("inline", "base64", "configMapKeyRef", "secretKeyRef", "url", "s3");

  /** One BuildAsset: its source kind, its key in {@link #ASSET_BUCKET} and the bytes it holds. */
  record Asset(String name, String sourceKind, String key, byte[] content) {}

  /** One BalanceReport and the key of its report in {@link #REPORT_BUCKET}. */
  record Report(String name, String key) {}

  private final BuildserverKinds kinds;
  private final KubernetesClient k8s;
  private final S3Client s3;
  private final Random random = new Random(25);
  private final Map<String, Asset> assets = new LinkedHashMap<>();
  private final Map<String, Report> reports = new LinkedHashMap<>();
  private final List<String> runs = new ArrayList<>();
  private final List<byte[]> copySources = new ArrayList<>();

  LiveWorkload(KubernetesClient k8s, String namespace, S3Client s3) {
    this.k8s = k8s;
    this.kinds = new BuildserverKinds(k8s, namespace);
    this.s3 = s3;
    k8s.namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    s3.createBucket(b -> b.bucket(SOURCE_BUCKET));
    s3.createBucket(b -> b.bucket(REPORT_BUCKET));
    for (int i = 0; i < 3; i++) {
      byte[] bytes = randomBytes(2048);
      String key = "sources/base-" + i + ".bin";
      s3.putObject(b -> b.bucket(SOURCE_BUCKET).key(key), RequestBody.fromBytes(bytes));
      copySources.add(bytes);
    }
  }

  BuildserverKinds kinds() {
    return kinds;
  }

  /**
   * {@code count} BuildAssets, the source kinds in turn; the first URL asset is 12 MiB, so it goes
   * up in parts (CompleteMultipartUpload). Every seventh also sets content type, metadata and tags,
   * and every eleventh with content known up front its sha256.
   */
  void assets(int count, StaticHttpServer files) {
    Map<String, String> configData = new LinkedHashMap<>();
    Map<String, String> secretData = new LinkedHashMap<>();
    List<String> yamls = new ArrayList<>();
    boolean large = false;
    for (int i = 0; i < count; i++) {
      String kind = SOURCE_KINDS.get(i % SOURCE_KINDS.size());
      String name = "asset-%03d".formatted(i);
      String key = "assets/" + name + (kind.equals("url") ? ".bin" : ".txt");
      byte[] content;
      String source;
      switch (kind) {
        case "inline" -> {
          content = text(name);
          source = "inline: " + quote(new String(content, StandardCharsets.UTF_8));
        }
        case "base64" -> {
          content = randomBytes(1024);
          source = "base64: " + Base64.getEncoder().encodeToString(content);
        }
        case "configMapKeyRef" -> {
          content = text(name);
          configData.put(name, new String(content, StandardCharsets.UTF_8));
          source = "configMapKeyRef: {name: upgrade-sources, key: " + name + "}";
        }
        case "secretKeyRef" -> {
          content = text(name);
          secretData.put(name, new String(content, StandardCharsets.UTF_8));
          source = "secretKeyRef: {name: upgrade-secret, key: " + name + "}";
        }
        case "url" -> {
          content = randomBytes(large ? 4096 : 12 * 1024 * 1024);
          large = true;
          files.serve("/" + name + ".bin", content);
          source = "url: " + files.url("/" + name + ".bin");
        }
        default -> {
          int from = i % copySources.size();
          content = copySources.get(from);
          source = "s3: {bucket: " + SOURCE_BUCKET + ", key: sources/base-" + from + ".bin}";
        }
      }
      StringBuilder spec =
          new StringBuilder(
              "metadata: {name: %s}\nspec:\n  bucket: %s\n  key: %s\n  createBucket: true\n  source: {%s}\n"
                  .formatted(name, ASSET_BUCKET, key, source));
      if (i % 7 == 0) {
        spec.append("  contentType: text/plain\n  metadata: {team: upgrade}\n")
            .append("  tags: {suite: upgrade}\n");
      }
      if (i % 11 == 0 && List.of("inline", "base64", "url").contains(kind)) {
        spec.append("  sha256: ").append(sha256(content)).append('\n');
      }
      assets.put(name, new Asset(name, kind, key, content));
      yamls.add(spec.toString());
    }
    k8s.configMaps()
        .inNamespace(kinds.namespace())
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("upgrade-sources")
                .endMetadata()
                .withData(configData)
                .build())
        .create();
    k8s.secrets()
        .inNamespace(kinds.namespace())
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("upgrade-secret")
                .endMetadata()
                .withStringData(secretData)
                .build())
        .create();
    yamls.forEach(yaml -> kinds.create(ASSET, yaml));
  }

  /**
   * Three BalanceReports of one ledger, each writing its report to S3: plain, with empty days and
   * deduplication, and re-read every 30 s.
   */
  void reports(String ledgerUrl) {
    List<String> options =
        List.of("", "  includeEmptyDays: true\n  deduplicate: true\n", "  refreshInterval: 30s\n");
    for (int i = 0; i < options.size(); i++) {
      String name = "report-" + i;
      String key = "reports/" + name + ".json";
      kinds.create(
          REPORT,
          ("metadata: {name: %s}\nspec:\n  ledger: {url: \"%s\"}\n%s"
                  + "  output: {s3: {bucket: %s, key: %s}}\n")
              .formatted(name, ledgerUrl, options.get(i), REPORT_BUCKET, key));
      reports.put(name, new Report(name, key));
    }
  }

  /**
   * {@code count} Ec2TestRuns named {@code prefix-i}, modelled on examples/ec2-test-run.yaml with a
   * total timeout of 30 minutes.
   */
  void runs(String prefix, int count) {
    for (int i = 0; i < count; i++) {
      String name = prefix + "-" + i;
      kinds.create(
          RUN,
          """
          metadata: {name: %s}
          spec:
            region: us-east-1
            launchTemplate: {name: buildserver-example, version: $Latest}
            instanceType: t2.micro
            tags: {type: aws-test, suite: upgrade}
            expect: {instanceType: t2.micro, tags: {type: aws-test}}
            timeouts: {running: 5m, total: 30m}
            terminate: Always
          """
              .formatted(name));
      runs.add(name);
    }
  }

  /** Gives {@code count} inline assets new content (a spec change the next operator must write). */
  List<String> editInlineAssets(int count, String marker) {
    List<String> edited = new ArrayList<>();
    for (Asset asset : List.copyOf(assets.values())) {
      if (edited.size() == count) {
        break;
      }
      if (!asset.sourceKind().equals("inline") || asset.name().endsWith("0")) {
        continue; // every tenth asset is deleted after the upgrade: edit the others
      }
      byte[] content = text(asset.name() + " " + marker);
      kinds.patch(
          ASSET,
          asset.name(),
          Map.of(
              "spec",
              Map.of("source", Map.of("inline", new String(content, StandardCharsets.UTF_8)))));
      assets.put(asset.name(), new Asset(asset.name(), asset.sourceKind(), asset.key(), content));
      edited.add(asset.name());
    }
    return edited;
  }

  /** Flips includeEmptyDays of report-0: a spec change whose report the next operator rewrites. */
  String editReport(boolean includeEmptyDays) {
    kinds.patch(REPORT, "report-0", Map.of("spec", Map.of("includeEmptyDays", includeEmptyDays)));
    return "report-0";
  }

  Map<String, Asset> assets() {
    return assets;
  }

  Map<String, Report> reports() {
    return reports;
  }

  List<String> runs() {
    return runs;
  }

  /** Forgets deleted objects, so that losses are counted over the live ones only. */
  void forget(String kind, String name) {
    switch (kind) {
      case ASSET -> assets.remove(name);
      case REPORT -> reports.remove(name);
      default -> runs.remove(name);
    }
  }

  private byte[] text(String name) {
    String line = "upgrade " + name + " " + Long.toHexString(random.nextLong()) + "\n";
    return line.repeat(8).getBytes(StandardCharsets.UTF_8);
  }

  private byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
