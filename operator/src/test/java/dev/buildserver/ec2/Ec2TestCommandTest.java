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
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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
  void passesFromALaunchTemplateAndTerminatesTheInstance(MotoServer moto) throws Exception {
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
            "json");
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    JsonNode json = new ObjectMapper().readTree(result.stdout());
    assertThat(json.get("phase").asText()).isEqualTo("Succeeded");
    assertThat(json.get("checks")).allMatch(c -> c.get("passed").asBoolean());
    String instance = json.get("instanceId").asText();
    assertThat(ec2.describe("us-east-1", instance).orElseThrow().state()).isEqualTo("terminated");
  }

  @Test
  void exitsNonZeroWhenACheckFailsAndKeepsTheInstanceWhenAsked(MotoServer moto) throws Exception {
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
            "--keep-instance");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stdout())
        .contains("instanceType")
        .contains("FAIL")
        .contains("was kept running");
    assertThat(ec2.ownedInstances("us-east-1"))
        .singleElement()
        .satisfies(i -> assertThat(i.state()).isEqualTo("running"));
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
