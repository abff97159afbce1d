package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.asset.BuildAssetStatus;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ec2.Ec2TestRunStatus;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.ec2.InstanceLauncher;
import dev.buildserver.ec2.LaunchSpec;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.ledger.BalanceReportStatus;
import dev.buildserver.status.Pause;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.MotoServer;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Ownership never comes from status: anyone who may patch a status subresource ({@code kubectl edit
 * --subresource=status}, a wildcard role) can write any instance id or location there. Only what
 * the cloud holds proves whose an instance or object is: the instance's run-uid tag, the object's
 * owner metadata. Every count is taken through the EC2 and S3 APIs. The HTTP API obeys the same
 * rules.
 */
class StatusForgeryE2ETest {

  private static final AtomicInteger BUCKETS = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Cluster cluster;
  private static InProcessOperator operator;
  private static AwsClients aws;
  private static InstanceLauncher ec2;
  private static S3Client s3;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("forgery"));
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(MotoServer.get().endpoint());
    settings.setRegion("us-east-1");
    MotoServer.useDummyCredentials();
    aws = new AwsClients(settings);
    ec2 = new InstanceLauncher(aws);
    s3 = aws.s3("us-east-1");
    operator = InProcessOperator.start(cluster.namespace());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (aws != null) {
      aws.close();
    }
  }

  @Test
  void aDeletedPausedRunWhoseStatusNamesAnotherInstanceLeavesThatInstanceRunning() {
    String victim = anotherTeamsInstance("victim-of-delete");
    Ec2TestRun run = pausedRun("forged-delete");
    forgeInstance(run, Phase.WaitingForRunning, victim);

    cluster.client().resource(run).delete();
    await().atMost(KubeApi.WAIT).until(() -> cluster.get(run) == null);

    assertThat(state(victim)).isEqualTo(InstanceStateName.RUNNING);
  }

  @Test
  void aRunWhoseStatusNamesAnotherInstanceNeitherAdoptsNorTerminatesIt() {
    String victim = anotherTeamsInstance("victim-of-adoption");
    Ec2TestRun run = pausedRun("forged-adopt");
    forgeInstance(run, Phase.WaitingForRunning, victim);

    cluster.annotate(run, Pause.ANNOTATION, null);
    Ec2TestRun done =
        await()
            .atMost(KubeApi.WAIT)
            .until(() -> cluster.get(run), r -> r.getStatus().getPhase() == Phase.Failed);

    assertThat(Cluster.reason(done, "Succeeded")).isEqualTo("InstanceNotOwned");
    assertThat(done.getStatus().getInstanceId()).isNull();
    assertThat(done.getStatus().getChecks())
        .anySatisfy(c -> assertThat(c.actual()).contains(victim));
    assertThat(state(victim)).isEqualTo(InstanceStateName.RUNNING);
    assertThat(ec2.findByOwner("us-east-1", run.getMetadata().getUid()))
        .as("the run launched nothing of its own")
        .isEmpty();
  }

  @Test
  void aConflictAssetWhoseStatusClaimsTheObjectLeavesItUnchanged() {
    String bucket = bucket();
    s3.putObject(b -> b.bucket(bucket).key("theirs.txt"), RequestBody.fromString("theirs"));
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: claimant}
            spec: {bucket: %s, key: theirs.txt, source: {inline: mine}}
            """
                .formatted(bucket));
    cluster.awaitReason(asset, "Ready", "Conflict", KubeApi.WAIT);
    String etag = s3.headObject(b -> b.bucket(bucket).key("theirs.txt")).eTag();

    // The status now claims the object, as if this BuildAsset had written it.
    BuildAsset current = cluster.get(asset);
    BuildAssetStatus claim = current.getStatus();
    claim.setLocation("s3://" + bucket + "/theirs.txt");
    claim.setEtag(etag.replace("\"", ""));
    claim.setUploadedAt("2026-01-01T00:00:00Z");
    cluster.client().resource(current).updateStatus();
    // A new generation makes it act on the claim at once.
    cluster
        .client()
        .resources(BuildAsset.class)
        .inNamespace(cluster.namespace())
        .withName("claimant")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"contentType\":\"text/x-2\"}}");

    await()
        .atMost(KubeApi.WAIT)
        .until(
            () -> cluster.get(asset),
            a ->
                a.getStatus().getObservedGeneration() == a.getMetadata().getGeneration()
                    && "Conflict".equals(Cluster.reason(a, "Ready")));
    assertThat(read(bucket, "theirs.txt")).isEqualTo("theirs");
    assertThat(s3.headObject(b -> b.bucket(bucket).key("theirs.txt")).eTag()).isEqualTo(etag);
  }

  @Test
  void aReportWhoseStatusClaimsTheOutputLocationLeavesAForeignObjectUnchanged() throws Exception {
    String bucket = bucket();
    s3.putObject(b -> b.bucket(bucket).key("report.json"), RequestBody.fromString("theirs"));
    try (LedgerServer ledger =
        LedgerServer.start().publish(LedgerServer.transactions(5, 7), 5, true)) {
      BalanceReport report =
          cluster.create(
              BalanceReport.class,
              """
              metadata: {name: claimant, annotations: {%s: "true"}}
              spec:
                ledger: {url: "%s"}
                output: {s3: {bucket: %s, key: report.json}}
              """
                  .formatted(Pause.ANNOTATION, ledger.urlTemplate(), bucket));
      cluster.awaitReason(report, "Ready", "Paused", KubeApi.WAIT);
      BalanceReport current = cluster.get(report);
      BalanceReportStatus claim = current.getStatus();
      claim.setReportLocation("s3://" + bucket + "/report.json");
      cluster.client().resource(current).updateStatus();

      cluster.annotate(report, Pause.ANNOTATION, null);
      cluster.awaitReason(report, "Ready", "Conflict", KubeApi.WAIT);
    }
    assertThat(read(bucket, "report.json")).isEqualTo("theirs");
  }

  @Test
  void theHttpApiNeverReplacesAnObjectAResourceOwnsUnlessToldTo() throws Exception {
    String bucket = bucket();
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: owner}
            spec: {bucket: %s, key: owned.txt, source: {inline: from the resource}}
            """
                .formatted(bucket));
    cluster.awaitReason(asset, "Ready", "Uploaded", KubeApi.WAIT);

    var refused = post("/buildserver/put-asset?bucket=" + bucket + "&key=owned.txt", "api");
    assertThat(refused.statusCode()).isEqualTo(409);
    var error = JSON.readTree(refused.body());
    assertThat(error.get("reason").asText()).isEqualTo("Conflict");
    assertThat(error.get("error").asText())
        .contains("BuildAsset " + cluster.namespace() + "/owner")
        .contains("overwrite=true");
    assertThat(read(bucket, "owned.txt")).isEqualTo("from the resource");

    var forced =
        post("/buildserver/put-asset?bucket=" + bucket + "&key=owned.txt&overwrite=true", "api");
    assertThat(forced.statusCode()).isEqualTo(201);
    // The BuildAsset no longer owns what is there: at its next resync it says so instead of
    // writing it back.
    cluster.awaitReason(asset, "Ready", "Conflict", KubeApi.WAIT);
    assertThat(read(bucket, "owned.txt")).isEqualTo("api");
  }

  // --- helpers

  private static String bucket() {
    String bucket = "forgery-" + BUCKETS.incrementAndGet();
    s3.createBucket(b -> b.bucket(bucket));
    return bucket;
  }

  private static String read(String bucket, String key) {
    return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
  }

  /** An instance that another team's run launched (its own run-uid tag). */
  private static String anotherTeamsInstance(String name) {
    var other = new LaunchSpec.RunIdentity("uid-of-" + name, "team-b", name);
    var spec =
        new LaunchSpec(
            "us-east-1",
            null,
            null,
            null,
            null,
            "ami-12c6146b",
            "t2.micro",
            null,
            List.of(),
            Map.of(LaunchSpec.OWNER_UID_TAG, other.uid(), LaunchSpec.OWNER_TAG, "team-b/" + name));
    return ec2.launch(spec, null, other.uid());
  }

  private static InstanceStateName state(String instanceId) {
    return aws.ec2("us-east-1")
        .describeInstances(b -> b.instanceIds(instanceId))
        .reservations()
        .get(0)
        .instances()
        .get(0)
        .state()
        .name();
  }

  private static Ec2TestRun pausedRun(String name) {
    Ec2TestRun run =
        cluster.create(
            Ec2TestRun.class,
            """
            metadata: {name: %s, annotations: {%s: "true"}}
            spec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}
            """
                .formatted(name, Pause.ANNOTATION));
    return cluster.awaitReason(run, "Complete", "Paused", KubeApi.WAIT);
  }

  /** What {@code kubectl edit --subresource=status} can write: a phase and someone's instance. */
  private static void forgeInstance(Ec2TestRun run, Phase phase, String instanceId) {
    Ec2TestRun current = cluster.get(run);
    Ec2TestRunStatus status = current.getStatus();
    status.setPhase(phase);
    status.setInstanceId(instanceId);
    status.setLaunchedAt(current.getMetadata().getCreationTimestamp());
    cluster.client().resource(current).updateStatus();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(operator.url().resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + InProcessOperator.API_TOKEN)
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }
}
