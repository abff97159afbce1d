package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code make stack} as a developer uses it: the script brings up the control plane, moto and the
 * sample ledger without the operator and writes {@code env} (readable by the user only, with a new
 * HTTP API token); an operator started with nothing but that environment (as an IDE would start it)
 * reconciles an example and takes that token; SIGTERM stops everything.
 */
class MakeStackE2ETest {

  @Test
  void anOperatorStartedWithTheWrittenEnvironmentReconcilesAnExample() throws Exception {
    Path dir = Path.of("target", "make-stack").toAbsolutePath();
    int apiServer = BuilderProcess.freePort();
    int etcd = BuilderProcess.freePortPair();
    int moto = BuilderProcess.freePort();
    int ledger = BuilderProcess.freePort();
    ProcessBuilder script =
        new ProcessBuilder(RepoFiles.repo().resolve("hack/local-stack.sh").toString(), "stack")
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target", "make-stack.log").toFile());
    script
        .environment()
        .putAll(
            Map.of(
                "STACK_DIR", dir.toString(),
                "APISERVER_PORT", Integer.toString(apiServer),
                "ETCD_PORT", Integer.toString(etcd),
                "MOTO_PORT", Integer.toString(moto),
                "LEDGER_PORT", Integer.toString(ledger)));
    Process stack = script.start();
    try {
      Path envFile = dir.resolve("env");
      await()
          .atMost(Duration.ofSeconds(150))
          .pollInterval(Duration.ofSeconds(1))
          .failFast("the stack script exited", () -> !stack.isAlive())
          .until(() -> Files.exists(envFile));
      Map<String, String> env = exports(envFile);
      assertThat(env)
          .containsEntry("AWS_ENDPOINT_URL", "http://127.0.0.1:" + moto)
          .containsEntry("AWS_REGION", "us-east-1")
          .containsKeys("KUBECONFIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
      String token = env.get("BUILDSERVER_API_TOKEN");
      assertThat(token).matches("[0-9a-f]{48}");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(envFile)))
          .isEqualTo("rw-------");
      assertThat(reachable(ledger)).as("the sample ledger on port %s", ledger).isTrue();

      try (Ec2Client ec2 =
          Ec2Client.builder()
              .endpointOverride(URI.create(env.get("AWS_ENDPOINT_URL")))
              .region(Region.US_EAST_1)
              .credentialsProvider(credentials(env))
              .build()) {
        assertThat(ec2.describeLaunchTemplates().launchTemplates())
            .extracting(t -> t.launchTemplateName())
            .contains("buildserver-example");
      }
      Map<String, String> operatorEnv = new HashMap<>(env);
      operatorEnv.remove("PATH");
      int operatorPort = BuilderProcess.freePort();
      try (KubernetesClient k8s =
              new KubernetesClientBuilder()
                  .withConfig(
                      Config.fromKubeconfig(Files.readString(Path.of(env.get("KUBECONFIG")))))
                  .build();
          BuilderProcess operator =
              BuilderProcess.start("make-stack-operator", operatorPort, operatorEnv, "operator")) {
        BuildAsset example =
            Resources.load(RepoFiles.examples().resolve("put-asset.yaml"), BuildAsset.class);
        example.getMetadata().setNamespace("default");
        k8s.resource(example).create();
        await()
            .atMost(Duration.ofSeconds(90))
            .failFast("the operator exited", () -> !operator.process().isAlive())
            .until(() -> ready(k8s.resource(example).get()));
        try (S3Client s3 =
            S3Client.builder()
                .endpointOverride(URI.create(env.get("AWS_ENDPOINT_URL")))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials(env))
                .build()) {
          String key = example.getSpec().key();
          assertThat(
                  s3.headObject(b -> b.bucket(example.getSpec().bucket()).key(key)).contentLength())
              .isEqualTo(
                  example.getSpec().source().inline().getBytes(StandardCharsets.UTF_8).length);
        }
        String list = "/buildserver/assets?bucket=" + example.getSpec().bucket();
        assertThat(operator.get(list).statusCode()).as("without the token").isEqualTo(401);
        HttpResponse<String> listed =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operatorPort + list))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
        assertThat(listed.body()).contains(example.getSpec().key());
      }
    } finally {
      stack.destroy(); // SIGTERM, as Ctrl-C or a process manager would
      assertThat(stack.waitFor(60, TimeUnit.SECONDS)).as("the stack stops on SIGTERM").isTrue();
    }
    assertThat(reachable(apiServer)).as("kube-apiserver stopped").isFalse();
    assertThat(reachable(moto)).as("moto stopped").isFalse();
  }

  private static boolean ready(BuildAsset asset) {
    return asset != null
        && asset.getStatus() != null
        && asset.getStatus().getConditions() != null
        && asset.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** The {@code export NAME=value} lines of the env file. */
  private static Map<String, String> exports(Path file) throws IOException {
    Map<String, String> env = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("export ") && line.contains("=")) {
        String assignment = line.substring("export ".length());
        int equals = assignment.indexOf('=');
        env.put(assignment.substring(0, equals), assignment.substring(equals + 1));
      }
    }
    return env;
  }

  private static StaticCredentialsProvider credentials(Map<String, String> env) {
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create(env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")));
  }

  private static boolean reachable(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
