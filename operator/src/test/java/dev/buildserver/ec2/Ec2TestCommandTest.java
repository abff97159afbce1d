package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.InProcessCli;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.testing.BuilderProcess;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.Ec2Faults;
import dev.buildserver.testing.MotoExtension;
import dev.buildserver.testing.MotoServer;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** {@code builder ec2-test} as a user runs it, against moto. */
@Tag("component") // needs moto, the mock API server or child JVMs: not in make test-unit
@ExtendWith(MotoExtension.class)
class Ec2TestCommandTest {

  private static InstanceLauncher ec2(MotoServer moto) {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(moto.endpoint());
    settings.setRegion("us-east-1");
    AwsClients aws = new AwsClients(settings);
    Ec2Examples.createLaunchTemplate(aws);
    return new InstanceLauncher(aws);
  }

  @Test
  void passesFromALaunchTemplateAndTerminatesTheInstance(MotoServer moto, @TempDir Path dir)
      throws Exception {
    Path junit = dir.resolve("reports/ec2-test.xml");
    InstanceLauncher ec2 = ec2(moto);
    var result =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "ec2-test",
            "--region",
            "us-east-1",
            "--launch-template",
            "buildserver-example:$Latest",
            "--expect-tag",
            "type=aws-test",
            "--output",
            "json",
            "--junit",
            junit.toString());
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    JsonNode json = new ObjectMapper().readTree(result.stdout());
    assertThat(json.get("phase").asText()).isEqualTo("Succeeded");
    assertThat(json.get("checks")).allMatch(c -> c.get("passed").asBoolean());
    Element suite = suite(junit);
    assertThat(suite.getAttribute("tests")).isEqualTo(String.valueOf(json.get("checks").size()));
    assertThat(suite.getAttribute("failures")).isEqualTo("0");
    assertThat(suite.getAttribute("errors")).isEqualTo("0");
    assertThat(testCases(suite))
        .containsExactlyElementsOf(json.get("checks").findValuesAsText("name"));
    String instance = json.get("instanceId").asText();
    assertThat(ec2.describe("us-east-1", instance).orElseThrow().state()).isEqualTo("terminated");
  }

  @Test
  void exitsNonZeroWhenACheckFailsAndKeepsTheInstanceWhenAsked(MotoServer moto, @TempDir Path dir)
      throws Exception {
    Path junit = dir.resolve("ec2-test.xml");
    InstanceLauncher ec2 = ec2(moto);
    var result =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "ec2-test",
            "--region",
            "us-east-1",
            "--image-id",
            "ami-12c6146b",
            "--instance-type",
            "t2.micro",
            "--expect-instance-type",
            "m5.large",
            "--keep-instance",
            "--junit",
            junit.toString());
    assertThat(result.exitCode()).isEqualTo(1);
    Element suite = suite(junit);
    assertThat(suite.getAttribute("failures")).isEqualTo("1");
    assertThat(suite.getAttribute("errors")).isEqualTo("0");
    Element failure = (Element) suite.getElementsByTagName("failure").item(0);
    assertThat(((Element) failure.getParentNode()).getAttribute("name")).isEqualTo("instanceType");
    assertThat(failure.getAttribute("message")).isEqualTo("expected m5.large, found t2.micro");
    assertThat(result.stdout())
        .contains("instanceType")
        .contains("FAIL")
        .contains("was kept running");
    assertThat(ec2.ownedInstances("us-east-1"))
        .singleElement()
        .satisfies(i -> assertThat(i.state()).isEqualTo("running"));
  }

  @Test
  void aLaunchThatFailsIsAJUnitErrorNotAFailure(MotoServer moto, @TempDir Path dir)
      throws Exception {
    ec2(moto);
    Path junit = dir.resolve("ec2-test.xml");
    var result =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "ec2-test",
            "--region",
            "us-east-1",
            "--launch-template",
            "no-such-template",
            "--junit",
            junit.toString());
    assertThat(result.exitCode()).isEqualTo(1);
    Element suite = suite(junit);
    assertThat(suite.getAttribute("errors")).isEqualTo("1");
    assertThat(suite.getAttribute("failures")).isEqualTo("0");
    Element error = (Element) suite.getElementsByTagName("error").item(0);
    assertThat(((Element) error.getParentNode()).getAttribute("name")).isEqualTo("launch");
    assertThat(error.getAttribute("message")).contains("InvalidLaunchTemplateName.NotFound");
  }

  /** The one testsuite of a JUnit XML file, parsed as CI servers parse it. */
  private static Element suite(Path junit) throws Exception {
    var document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
    assertThat(document.getDocumentElement().getTagName()).isEqualTo("testsuites");
    NodeList suites = document.getElementsByTagName("testsuite");
    assertThat(suites.getLength()).isEqualTo(1);
    return (Element) suites.item(0);
  }

  private static List<String> testCases(Element suite) {
    NodeList cases = suite.getElementsByTagName("testcase");
    return IntStream.range(0, cases.getLength())
        .mapToObj(i -> ((Element) cases.item(i)).getAttribute("name"))
        .toList();
  }

  @Test
  void refusesBadUsageWithOneLine() {
    var result =
        BuilderProcess.run(
            BuilderProcess.awsEnv(),
            new byte[0],
            "ec2-test",
            "--region",
            "us-east-1",
            "--image-id",
            "ami-12c6146b");
    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr().strip())
        .startsWith("builder: ")
        .contains("--instance-type")
        .doesNotContain("\n");
  }

  @Test
  void terminatesItsInstanceWhenEc2KeepsThrottlingAfterTheLaunch(MotoServer moto) {
    InstanceLauncher ec2 = ec2(moto);
    Ec2Faults faults = new Ec2Faults();
    faults.throttleDescribes();
    var result = runWith(faults);
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr().strip()).startsWith("builder: ").doesNotContain("\n");
    assertThat(ec2.ownedInstances("us-east-1"))
        .singleElement()
        .satisfies(i -> assertThat(i.state()).isEqualTo("terminated"));
  }

  @Test
  void terminatesAnInstanceThatVanishedFromDescribeInstances(MotoServer moto) {
    InstanceLauncher ec2 = ec2(moto);
    Ec2Faults faults = new Ec2Faults();
    faults.vanishAfter(1); // seen running once, then no longer found
    var result = runWith(faults);
    assertThat(result.exitCode()).isNotZero();
    assertThat(ec2.ownedInstances("us-east-1"))
        .singleElement()
        .satisfies(i -> assertThat(i.state()).isEqualTo("terminated"));
  }

  /** {@code builder ec2-test} of a plain t2.micro, in-process, with EC2 faults injected. */
  private static InProcessCli.Result runWith(Ec2Faults faults) {
    return InProcessCli.run(
        List.of(faults),
        "ec2-test",
        "--region",
        "us-east-1",
        "--image-id",
        "ami-12c6146b",
        "--instance-type",
        "t2.micro");
  }
}
