package dev.buildserver.chaos;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ec2.LaunchSpec;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.ledger.BalanceReportStatus;
import dev.buildserver.ledger.Transaction;
import dev.buildserver.testing.Cents;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.Resources;
import dev.buildserver.testing.StaticHttpServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * One namespace's worth of chaos: Ec2TestRuns, BuildAssets (inline, from a Secret, from URLs of
 * several MiB, and aimed at objects the operator does not own) and BalanceReports, created, partly
 * deleted mid-flight, and at the end checked through the EC2 and S3 APIs and an independent balance
 * oracle, never through the operator's own state.
 */
final class Workload {

  static final String BUCKET = "chaos-assets";

  /**
   * One BuildAsset and the bytes its object must hold ({@code null}: the Secret's value); a foreign
   * one aims at an object someone else wrote, with that someone's bytes.
   */
  private record Asset(String name, String key, byte[] content, boolean foreign) {}

  /** A ledger a report reads, with the transactions it serves. */
  record Ledger(String url, List<Transaction> transactions, String tokenSecret) {}

  private final KubernetesClient k8s;
  private final String namespace;
  private final S3Client s3;
  private final Ec2Client ec2;
  private final Random random;
  private final List<String> runs = new ArrayList<>();
  private final List<Asset> assets = new ArrayList<>();
  private final Map<String, Ledger> reports = new LinkedHashMap<>();
  private final List<String> deletedRuns = new ArrayList<>();
  private final List<Asset> deletedAssets = new ArrayList<>();
  private final Map<String, String> foreignETags = new HashMap<>();

  Workload(KubernetesClient k8s, String namespace, S3Client s3, Ec2Client ec2, long seed) {
    this.k8s = k8s;
    this.namespace = namespace;
    this.s3 = s3;
    this.ec2 = ec2;
    this.random = new Random(seed);
    k8s.namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
  }

  String namespace() {
    return namespace;
  }

  /** A Secret of this namespace with one key. */
  void secret(String name, String key, String value) {
    k8s.secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToStringData(key, value)
                .build())
        .create();
  }

  /** Ec2TestRuns from the stack's launch template, each with its own tag. */
  void runs(int count) {
    for (int i = 0; i < count; i++) {
      String name = "run-" + i;
      create(
          Ec2TestRun.class,
          """
          metadata: {name: %s}
          spec:
            region: us-east-1
            launchTemplate: {name: buildserver-example, version: $Latest}
            instanceType: t2.micro
            tags: {chaos: "%s"}
            expect: {instanceType: t2.micro, tags: {chaos: "%s"}}
            timeouts: {running: 3m, total: 10m}
            terminate: Always
          """
              .formatted(name, name, name));
      runs.add(name);
    }
  }

  /**
   * BuildAssets: every fifth aims at an object someone else wrote (it must be left alone), the
   * others are inline text, a Secret's key, or a URL of 2-6 MiB on {@code files}; the first URL
   * asset is 12 MiB, so it goes up in parts.
   */
  void assets(int count, StaticHttpServer files, String filesBase, String secretName) {
    try {
      s3.createBucket(b -> b.bucket(BUCKET));
    } catch (BucketAlreadyOwnedByYouException e) {
      // an earlier workload made it
    }
    boolean large = false;
    for (int i = 0; i < count; i++) {
      String name = "asset-" + i;
      String key = "chaos/" + namespace + "/" + name;
      String source;
      byte[] content;
      switch (i % 5) {
        case 0, 1 -> {
          String text = "asset " + name + " " + Long.toHexString(random.nextLong()) + "\n";
          content = text.repeat(40).getBytes(StandardCharsets.UTF_8);
          source = "inline: " + quote(new String(content, StandardCharsets.UTF_8));
        }
        case 2 -> {
          int mib = large ? 2 + random.nextInt(5) : 12;
          large = true;
          content = new byte[mib * 1024 * 1024];
          random.nextBytes(content);
          files.serve("/" + name + ".bin", content);
          source = "url: " + filesBase + "/" + name + ".bin";
        }
        case 3 -> {
          content = null; // the Secret's value, known to the caller
          source = "secretKeyRef: {name: " + secretName + ", key: content}";
        }
        default -> {
          byte[] theirs = ("written by someone else " + i).getBytes(StandardCharsets.UTF_8);
          foreignETags.put(
              key,
              s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(theirs)).eTag());
          assets.add(new Asset(name, key, theirs, true));
          create(
              BuildAsset.class,
              "metadata: {name: %s}\nspec: {bucket: %s, key: %s, createBucket: true, source: {inline: mine}}\n"
                  .formatted(name, BUCKET, key));
          continue;
        }
      }
      assets.add(new Asset(name, key, content, false));
      create(
          BuildAsset.class,
          "metadata: {name: %s}\nspec:\n  bucket: %s\n  key: %s\n  createBucket: true\n  source: {%s}\n"
              .formatted(name, BUCKET, key, source));
    }
  }

  /** BalanceReports, one per ledger. */
  void reports(List<Ledger> ledgers) {
    for (int i = 0; i < ledgers.size(); i++) {
      Ledger ledger = ledgers.get(i);
      String name = "report-" + i;
      String auth =
          ledger.tokenSecret() == null
              ? ""
              : ", authSecretRef: {name: " + ledger.tokenSecret() + ", key: token}";
      create(
          BalanceReport.class,
          "metadata: {name: %s}\nspec:\n  ledger: {url: \"%s\"%s}\n"
              .formatted(name, ledger.url(), auth));
      reports.put(name, ledger);
    }
  }

  /**
   * Deletes every third run and asset from the second on (mid-flight: whatever state they are in);
   * the third asset, uploaded in parts, stays and is checked.
   */
  void deleteAThird() {
    for (int i = 1; i < runs.size(); i += 3) {
      delete(Ec2TestRun.class, runs.get(i));
      deletedRuns.add(runs.get(i));
    }
    for (int i = 1; i < assets.size(); i += 3) {
      delete(BuildAsset.class, assets.get(i).name());
      deletedAssets.add(assets.get(i));
    }
  }

  int created() {
    return runs.size() + assets.size() + reports.size();
  }

  int deleted() {
    return deletedRuns.size() + deletedAssets.size();
  }

  /** What is not yet in a final state; empty once everything converged. */
  List<String> pending() {
    List<String> pending = new ArrayList<>();
    for (String run : runs) {
      Ec2TestRun r = get(Ec2TestRun.class, run);
      if (deletedRuns.contains(run)) {
        if (r != null) {
          pending.add(run + " still exists after its deletion");
        }
      } else if (!isTrue(r, "Complete")) {
        pending.add(run + " " + describe(r, "Complete"));
      }
    }
    for (Asset asset : assets) {
      BuildAsset a = get(BuildAsset.class, asset.name());
      if (deletedAssets.contains(asset)) {
        if (a != null) {
          pending.add(asset.name() + " still exists after its deletion");
        }
      } else if (asset.foreign()
          ? !"Conflict".equals(reason(a, "Ready"))
          : !isTrue(a, "Ready") || a.getStatus().getObservedGeneration() == null) {
        pending.add(asset.name() + " " + describe(a, "Ready"));
      }
    }
    for (String report : reports.keySet()) {
      BalanceReport r = get(BalanceReport.class, report);
      if (!isTrue(r, "Ready")) {
        pending.add(report + " " + describe(r, "Ready"));
      }
    }
    return pending;
  }

  /** The counts taken through the EC2 and S3 APIs and the balance oracle. */
  Verdict verify(String secretContent) {
    Verdict verdict = new Verdict();
    // EC2: every instance the operator ever launched for this namespace, terminated ones included.
    Map<String, Integer> launched = new HashMap<>();
    for (Instance instance : instances()) {
      String run =
          instance.tags().stream()
              .filter(t -> LaunchSpec.OWNER_TAG.equals(t.key()))
              .map(t -> t.value())
              .findFirst()
              .orElse("");
      String name = run.substring(run.indexOf('/') + 1);
      launched.merge(name, 1, Integer::sum);
      verdict.instances++;
      String state = instance.state().nameAsString();
      if (!"terminated".equals(state) && !"shutting-down".equals(state)) {
        verdict.problems.add("instance " + instance.instanceId() + " of " + run + " is " + state);
        verdict.leaks++;
      }
    }
    for (String run : runs) {
      int n = launched.getOrDefault(run, 0);
      if (n > 1) {
        verdict.duplicates += n - 1;
        verdict.problems.add(run + " launched " + n + " instances");
      }
      if (n == 0 && !deletedRuns.contains(run)) {
        verdict.problems.add(run + " finished without launching an instance");
        verdict.losses++;
      }
    }
    // S3: owned objects present with the right bytes, deleted ones gone, foreign ones untouched.
    for (Asset asset : assets) {
      byte[] expected = asset.content() == null ? bytes(secretContent) : asset.content();
      byte[] actual = object(asset.key());
      boolean deleted = deletedAssets.contains(asset);
      if (asset.foreign()) {
        String etag = etag(asset.key());
        if (actual == null || !sha256(actual).equals(sha256(expected))) {
          verdict.foreignTouched++;
          verdict.problems.add("the foreign object " + asset.key() + " was changed or removed");
        } else if (!foreignETags.get(asset.key()).equals(etag)) {
          verdict.foreignTouched++;
          verdict.problems.add("the foreign object " + asset.key() + " was rewritten");
        }
      } else if (deleted) {
        if (actual != null) {
          verdict.leaks++;
          verdict.problems.add(asset.key() + " is still in S3 after its BuildAsset was deleted");
        }
      } else if (actual == null) {
        verdict.losses++;
        verdict.problems.add(asset.key() + " is missing from S3");
      } else if (!sha256(actual).equals(sha256(expected))) {
        verdict.losses++;
        verdict.problems.add(asset.key() + " has the wrong content");
      }
    }
    int unfinished =
        s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("chaos/" + namespace + "/"))
            .uploads()
            .size();
    if (unfinished > 0) {
      verdict.leaks += unfinished;
      verdict.problems.add(unfinished + " multipart uploads were left unfinished in " + BUCKET);
    }
    // Reports against an oracle that adds the served transactions up in whole cents.
    reports.forEach(
        (name, ledger) -> {
          BalanceReportStatus status = get(BalanceReport.class, name).getStatus();
          long total = Cents.total(ledger.transactions());
          boolean right =
              status.getTransactionCount() == ledger.transactions().size()
                  && Cents.equal(status.getTotalBalance(), total)
                  && Cents.perLedger(ledger.transactions()).entrySet().stream()
                      .allMatch(
                          e ->
                              status.getLedgerTotals().stream()
                                  .anyMatch(
                                      t ->
                                          t.ledger().equals(e.getKey())
                                              && Cents.equal(t.total(), e.getValue())));
          if (!right) {
            verdict.wrongReports++;
            verdict.problems.add(name + " disagrees with the oracle: " + status.getTotalBalance());
          }
        });
    verdict.objects = assets.size();
    return verdict;
  }

  /** The tallies of one workload; every count is taken through a cloud API or the oracle. */
  static final class Verdict {
    int instances;
    int objects;
    int duplicates;
    int leaks;
    int losses;
    int foreignTouched;
    int wrongReports;
    final List<String> problems = new ArrayList<>();
  }

  /** Every object of the buildserver kinds in this namespace, for the secret scan. */
  List<String> statuses() {
    List<String> all = new ArrayList<>();
    for (Class<? extends CustomResource<?, ?>> kind :
        List.<Class<? extends CustomResource<?, ?>>>of(
            Ec2TestRun.class, BuildAsset.class, BalanceReport.class)) {
      k8s.resources(kind).inNamespace(namespace).list().getItems().stream()
          .map(r -> Serialization.asYaml(r.getStatus()))
          .forEach(all::add);
    }
    return all;
  }

  private List<Instance> instances() {
    List<Instance> all = new ArrayList<>();
    ec2.describeInstancesPaginator(
            b -> b.filters(f -> f.name("tag-key").values(LaunchSpec.OWNER_TAG)))
        .reservations()
        .forEach(r -> all.addAll(r.instances()));
    return all.stream()
        .filter(
            i ->
                i.tags().stream()
                    .anyMatch(
                        t ->
                            LaunchSpec.OWNER_TAG.equals(t.key())
                                && t.value().startsWith(namespace + "/")))
        .toList();
  }

  private byte[] object(String key) {
    try {
      return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
    } catch (NoSuchKeyException e) {
      return null;
    }
  }

  private String etag(String key) {
    return s3.headObject(b -> b.bucket(BUCKET).key(key)).eTag();
  }

  private <T extends CustomResource<?, ?>> void create(Class<T> type, String yaml) {
    new Cluster(k8s, namespace).create(type, yaml);
  }

  private <T extends CustomResource<?, ?>> T get(Class<T> type, String name) {
    return k8s.resources(type).inNamespace(namespace).withName(name).get();
  }

  private <T extends CustomResource<?, ?>> void delete(Class<T> type, String name) {
    k8s.resources(type).inNamespace(namespace).withName(name).delete();
  }

  private static boolean isTrue(CustomResource<?, ?> resource, String type) {
    return Resources.condition(resource, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static String reason(CustomResource<?, ?> resource, String type) {
    return Resources.condition(resource, type).map(Condition::getReason).orElse(null);
  }

  private static String describe(CustomResource<?, ?> resource, String type) {
    if (resource == null) {
      return "is gone";
    }
    Function<Condition, String> text =
        c -> c.getStatus() + "/" + c.getReason() + ": " + c.getMessage();
    return type + " " + Resources.condition(resource, type).map(text).orElse("not set yet");
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
