package dev.buildserver.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.chaos.LocalStack;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Cluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Each namespace acts as its own AWS identity, on the stack of {@code make stack} (a real API
 * server; moto behind its front, which records who signed each request). Namespaces team-a and
 * team-b each have a ServiceAccount {@code tenant} annotated with their IAM role; the operator runs
 * with the lockdown on ({@code default-service-account: tenant}) under an access key of its own.
 * Who signed each S3 and EC2 request is read from the front's record and matched with the keys
 * moto's STS issued per role; the operator's own key signs none. With moto's IAM enforcement on,
 * team-a's copy from team-b's bucket and its write into team-b's bucket end in AccessDenied naming
 * team-a's role, with nothing written (read back with an auditor's key).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenancyE2ETest {

  private static final String OPERATOR_KEY = "operator-own-key";
  private static final String ACCOUNT = "123456789012";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static LocalStack stack;
  private static KubernetesClient kube;
  private static BuilderProcess operator;
  private static S3Client admin;
  private static S3Client auditor;
  private static final Map<String, Cluster> teams = new java.util.HashMap<>();

  @BeforeAll
  static void start() {
    stack = LocalStack.start("tenancy");
    kube = stack.client();
    admin = s3("testing", "testing");
    try (IamClient iam =
        IamClient.builder()
            .endpointOverride(stack.motoEndpoint())
            .region(Region.AWS_GLOBAL)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
            .build()) {
      String trust =
          "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
              + "{\"Federated\":\"*\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\"}]}";
      for (String team : List.of("team-a", "team-b")) {
        iam.createRole(b -> b.roleName(team).assumeRolePolicyDocument(trust));
        iam.putRolePolicy(
            b ->
                b.roleName(team)
                    .policyName("own-bucket")
                    .policyDocument(
                        ("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                + "\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::%s-assets\","
                                + "\"arn:aws:s3:::%s-assets/*\"]},{\"Effect\":\"Allow\","
                                + "\"Action\":\"ec2:*\",\"Resource\":\"*\"}]}")
                            .formatted(team, team)));
        admin.createBucket(b -> b.bucket(team + "-assets"));
      }
      iam.createUser(b -> b.userName("auditor"));
      iam.putUserPolicy(
          b ->
              b.userName("auditor")
                  .policyName("read-all")
                  .policyDocument(
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                          + "\"Action\":\"*\",\"Resource\":\"*\"}]}"));
      var key = iam.createAccessKey(b -> b.userName("auditor")).accessKey();
      auditor = s3(key.accessKeyId(), key.secretAccessKey());
    }
    admin.putObject(
        b -> b.bucket("team-b-assets").key("from-b/secret.txt"),
        RequestBody.fromString("team-b's data"));
    for (String team : List.of("team-a", "team-b", "team-c")) {
      kube.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(team).endMetadata().build())
          .create();
      teams.put(team, new Cluster(kube, team));
    }
    for (String team : List.of("team-a", "team-b")) {
      kube.serviceAccounts()
          .inNamespace(team)
          .resource(
              new ServiceAccountBuilder()
                  .withNewMetadata()
                  .withName("tenant")
                  .addToAnnotations(
                      WorkloadIdentities.ROLE_ANNOTATION,
                      "arn:aws:iam::" + ACCOUNT + ":role/" + team)
                  .endMetadata()
                  .build())
          .create();
    }
    stack.forgetRequests(); // what the stack and this set-up sent: only the operator's counts now
    operator =
        BuilderProcess.start(
                "tenancy-operator",
                BuilderProcess.freePort(),
                Map.of(
                    "KUBECONFIG", stack.kubeconfig().toString(),
                    "BUILDSERVER_AWS_ENDPOINT", stack.motoEndpoint().toString(),
                    "AWS_ACCESS_KEY_ID", OPERATOR_KEY,
                    "AWS_SECRET_ACCESS_KEY", "operator-own-secret",
                    "AWS_REGION", "us-east-1",
                    "BUILDSERVER_OPERATOR_WATCH_NAMESPACES", "team-a,team-b,team-c",
                    "BUILDSERVER_IDENTITY_DEFAULT_SERVICE_ACCOUNT", "tenant",
                    "BUILDSERVER_API_TOKEN", "tenancy-token",
                    // every resource is reconciled every 2 s: credentials must not follow suit
                    "BUILDSERVER_OPERATOR_RESYNC_PERIOD", "2s"),
                "operator")
            .awaitReady();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (auditor != null) {
      auditor.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void everyCallForATeamsResourcesIsSignedWithItsOwnRolesKeys() throws Exception {
    BuildAsset a = asset("team-a", "mine", "team-a-assets", "from-a/mine.txt", "{inline: a}");
    BuildAsset b = asset("team-b", "mine", "team-b-assets", "from-b/mine.txt", "{inline: b}");
    Ec2TestRun run =
        teams
            .get("team-a")
            .create(
                Ec2TestRun.class,
                """
                metadata: {name: smoke}
                spec:
                  region: us-east-1
                  imageId: ami-12c6146b
                  instanceType: t2.micro
                  tags: {team: a}
                """);
    teams.get("team-a").awaitReason(a, "Ready", "Uploaded", WAIT);
    teams.get("team-b").awaitReason(b, "Ready", "Uploaded", WAIT);
    teams.get("team-a").awaitReason(run, "Succeeded", "ChecksPassed", WAIT);
    List<JsonNode> requests = requests(); // before the test reads anything itself
    Map<String, String> roleOfKey = roleOfKey();
    assertThat(read(auditor, "team-a-assets", "from-a/mine.txt")).isEqualTo("a");
    assertThat(read(auditor, "team-b-assets", "from-b/mine.txt")).isEqualTo("b");
    Set<String> teamARequests = new HashSet<>();
    for (JsonNode request : requests) {
      String key = request.get("accessKey").asText();
      String path = request.get("path").asText();
      String service = request.get("service").asText();
      assertThat(key)
          .as("the operator's own key signed %s %s", service, path)
          .isNotEqualTo(OPERATOR_KEY);
      if (path.contains("/from-a/") || service.equals("ec2")) {
        assertThat(roleOfKey.get(key))
            .as("who signed %s %s %s", service, request.get("method").asText(), path)
            .isEqualTo("arn:aws:iam::" + ACCOUNT + ":role/team-a");
        teamARequests.add(service + " " + request.path("action").asText(""));
      }
      if (path.contains("/from-b/")) {
        assertThat(roleOfKey.get(key))
            .as("who signed %s %s", service, path)
            .isEqualTo("arn:aws:iam::" + ACCOUNT + ":role/team-b");
      }
    }
    assertThat(teamARequests)
        .as("team-a's S3 write and its EC2 launch, describe and terminate were all seen")
        .contains("s3 ", "ec2 RunInstances", "ec2 DescribeInstances", "ec2 TerminateInstances");
  }

  @Test
  @Order(2)
  void aNamespaceWithoutTheServiceAccountGetsAConditionAndNoAwsCall() throws Exception {
    stack.forgetRequests();
    BuildAsset c = asset("team-c", "orphan", "team-a-assets", "from-c/orphan.txt", "{inline: c}");
    var refused = teams.get("team-c").awaitReason(c, "Ready", "IdentityNotFound", WAIT);
    assertThat(refused.getStatus().getConditions().get(0).getMessage())
        .contains("ServiceAccount team-c/tenant does not exist")
        .contains(WorkloadIdentities.ROLE_ANNOTATION);
    Thread.sleep(2_000); // anything it would have sent has arrived by now
    assertThat(requests()).noneMatch(r -> r.get("path").asText().contains("/from-c/"));
    assertThat(read(auditor, "team-a-assets", "from-c/orphan.txt")).isNull();
  }

  @Test
  @Order(3)
  void underIamEnforcementTeamAReachesNeitherTeamBsDataNorItsBucket() {
    stack.enforceIam();
    BuildAsset copy =
        asset(
            "team-a",
            "steal",
            "team-a-assets",
            "from-a/stolen.txt",
            "{s3: {bucket: team-b-assets, key: from-b/secret.txt}}");
    BuildAsset intrude =
        asset("team-a", "intrude", "team-b-assets", "from-a/intruder.txt", "{inline: x}");

    for (BuildAsset asset : List.of(copy, intrude)) {
      var denied = teams.get("team-a").awaitReason(asset, "Ready", "AccessDenied", WAIT);
      String message = denied.getStatus().getConditions().get(0).getMessage();
      assertThat(message).contains("role arn:aws:iam::" + ACCOUNT + ":role/team-a");
      // Nothing of the source leaks into status: neither size, type nor ETag.
      assertThat(denied.getStatus().getSize()).isNull();
      assertThat(denied.getStatus().getEtag()).isNull();
    }
    assertThat(read(auditor, "team-a-assets", "from-a/stolen.txt")).isNull();
    assertThat(read(auditor, "team-b-assets", "from-a/intruder.txt")).isNull();
    assertThat(read(auditor, "team-b-assets", "from-b/secret.txt")).isEqualTo("team-b's data");
  }

  @Test
  @Order(4)
  void theHttpApiRefusesToActAsTheOperatorUnderTheLockdown() throws Exception {
    var answer =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        operator.uri("/buildserver/put-asset?bucket=team-a-assets&key=api.txt"))
                    .header("Authorization", "Bearer tenancy-token")
                    .header("Content-Type", "application/octet-stream")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(403);
    JsonNode error = JSON.readTree(answer.body());
    assertThat(error.get("reason").asText()).isEqualTo("IdentityNotFound");
    assertThat(error.get("error").asText()).contains("buildserver.api.service-account");
    assertThat(read(auditor, "team-a-assets", "api.txt")).isNull();
  }

  @Test
  @Order(5)
  void oneStsCallPerServiceAccountNotPerReconcile() throws Exception {
    Thread.sleep(6_000); // three more resyncs of every resource
    JsonNode assumed = JSON.readTree(stack.motoData()).path("sts").path("AssumedRole");
    List<String> roles = new ArrayList<>();
    assumed.forEach(a -> roles.add(a.get("role_arn").asText()));
    assertThat(roles)
        .as("AssumeRoleWithWebIdentity calls in the whole test")
        .containsExactlyInAnyOrder(
            "arn:aws:iam::" + ACCOUNT + ":role/team-a", "arn:aws:iam::" + ACCOUNT + ":role/team-b");
  }

  private static BuildAsset asset(
      String team, String name, String bucket, String key, String source) {
    return teams
        .get(team)
        .create(
            BuildAsset.class,
            "metadata: {name: %s}\nspec: {bucket: %s, key: %s, source: %s}"
                .formatted(name, bucket, key, source));
  }

  /** Which role each access key that moto's STS issued belongs to. */
  private static Map<String, String> roleOfKey() throws Exception {
    Map<String, String> roles = new java.util.HashMap<>();
    for (JsonNode assumed : JSON.readTree(stack.motoData()).path("sts").path("AssumedRole")) {
      roles.put(assumed.get("access_key_id").asText(), assumed.get("role_arn").asText());
    }
    assertThat(roles.values())
        .as("roles assumed through STS")
        .contains(
            "arn:aws:iam::" + ACCOUNT + ":role/team-a", "arn:aws:iam::" + ACCOUNT + ":role/team-b");
    return roles;
  }

  private static List<JsonNode> requests() throws Exception {
    List<JsonNode> list = new ArrayList<>();
    JSON.readTree(stack.requests()).forEach(list::add);
    return list;
  }

  private static S3Client s3(String key, String secret) {
    return S3Client.builder()
        .endpointOverride(stack.motoEndpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret)))
        .build();
  }

  private static String read(S3Client s3, String bucket, String key) {
    try {
      return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    } catch (NoSuchKeyException e) {
      return null;
    }
  }
}
