package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.RepoFiles;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generated CRDs in a real kube-apiserver: examples accepted, bad specs refused by CEL. */
class ApiValidationE2ETest {

  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void apiServer() {
    KubeApi api = KubeApi.get();
    client = api.client();
    namespace = api.newNamespace("validation");
  }

  @Test
  void installsTheThreeCrdsWithTheBuildserverCategory() {
    for (String name :
        List.of(
            "buildassets.buildserver.dev",
            "ec2testruns.buildserver.dev",
            "balancereports.buildserver.dev")) {
      var crd = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
      assertThat(crd).as(name).isNotNull();
      assertThat(crd.getSpec().getNames().getCategories()).containsExactly("buildserver");
    }
  }

  @Test
  void kubectlGetShowsTheContractsColumnsEndingInAge() throws IOException {
    String columns = KubeApi.get().newNamespace("columns");
    createExamples(columns);
    assertThat(header("buildassets", columns)).isEqualTo("NAME BUCKET KEY SIZE READY AGE");
    assertThat(header("ec2testruns", columns)).isEqualTo("NAME PHASE INSTANCE TYPE REGION AGE");
    assertThat(header("balancereports", columns))
        .isEqualTo("NAME TOTAL TRANSACTIONS LAST SYNC READY AGE");
  }

  private static String header(String plural, String inNamespace) {
    String table = KubeApi.get().kubectl("get", plural, "-n", inNamespace);
    return table.lines().findFirst().orElse("").strip().replaceAll(" {2,}", " ");
  }

  @Test
  void acceptsEveryExample() throws IOException {
    createExamples(namespace);
  }

  private static void createExamples(String inNamespace) throws IOException {
    List<Path> examples;
    try (Stream<Path> files = Files.list(RepoFiles.examples())) {
      examples = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(examples).hasSizeGreaterThanOrEqualTo(3);
    for (Path example : examples) {
      for (HasMetadata item : client.load(Files.newInputStream(example)).items()) {
        item.getMetadata().setNamespace(inNamespace);
        HasMetadata created = client.resource(item).create();
        assertThat(created.getMetadata().getUid()).as(example.toString()).isNotBlank();
      }
    }
  }

  @Test
  void refusesABuildAssetWithTwoSources() {
    assertRefused(
        """
        apiVersion: buildserver.dev/v1alpha1
        kind: BuildAsset
        metadata: {name: two-sources}
        spec:
          bucket: my-bucket
          key: a.txt
          source: {inline: hello, url: "https://example.com/a.txt"}
        """,
        "source must set exactly one of inline, base64, configMapKeyRef, secretKeyRef, url, s3");
  }

  @Test
  void refusesABuildAssetWithNoSource() {
    assertRefused(
        """
        apiVersion: buildserver.dev/v1alpha1
        kind: BuildAsset
        metadata: {name: no-source}
        spec: {bucket: my-bucket, key: a.txt, source: {}}
        """,
        "source must set exactly one of");
  }

  @Test
  void refusesAnInvalidBucketName() {
    assertRefused(
        """
        apiVersion: buildserver.dev/v1alpha1
        kind: BuildAsset
        metadata: {name: bad-bucket}
        spec: {bucket: My_Bucket, key: a.txt, source: {inline: x}}
        """,
        "spec.bucket");
  }

  @Test
  void refusesChangingTheBucketOfABuildAsset() {
    var asset =
        create(
            """
            apiVersion: buildserver.dev/v1alpha1
            kind: BuildAsset
            metadata: {name: immutable-bucket}
            spec: {bucket: first-bucket, key: a.txt, source: {inline: x}}
            """);
    asset.setAdditionalProperty(
        "spec",
        java.util.Map.of(
            "bucket", "second-bucket", "key", "a.txt", "source", java.util.Map.of("inline", "x")));
    assertThatThrownBy(() -> client.resource(asset).update())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("bucket is immutable");
  }

  @Test
  void refusesAnEc2TestRunWithNeitherLaunchTemplateNorImage() {
    assertRefused(
        """
        apiVersion: buildserver.dev/v1alpha1
        kind: Ec2TestRun
        metadata: {name: nothing-to-launch}
        spec: {region: us-east-1, instanceType: t2.micro}
        """,
        "set launchTemplate, or both imageId and instanceType");
  }

  @Test
  void refusesChangingAnEc2TestRun() {
    var run =
        create(
            """
            apiVersion: buildserver.dev/v1alpha1
            kind: Ec2TestRun
            metadata: {name: immutable-run}
            spec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}
            """);
    run.setAdditionalProperty(
        "spec",
        java.util.Map.of(
            "region", "us-east-1", "imageId", "ami-12c6146b", "instanceType", "t3.micro"));
    assertThatThrownBy(() -> client.resource(run).update())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec is immutable");
  }

  @Test
  void refusesABalanceReportUrlWithoutPagePlaceholder() {
    assertRefused(
        """
        apiVersion: buildserver.dev/v1alpha1
        kind: BalanceReport
        metadata: {name: no-page}
        spec: {ledger: {url: "http://ledger.example/transactions/1.json"}}
        """,
        "ledger.url must contain the {page} placeholder");
  }

  private GenericKubernetesResource create(String yaml) {
    GenericKubernetesResource resource =
        Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    resource.getMetadata().setNamespace(namespace);
    return client.resource(resource).create();
  }

  private void assertRefused(String yaml, String message) {
    assertThatThrownBy(() -> create(yaml))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422));
  }
}
