package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.ec2.Ec2TestRunStatus.Check;
import dev.buildserver.ec2.Ec2TestRunStatus.Phase;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.Ec2Faults;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ec2TestRuns against the real API server and moto, with faults moto cannot produce injected. */
class Ec2TestRunE2ETest {

  private KubernetesClient k8s;
  private String namespace;
  private Ec2Faults faults;
  private InProcessOperator operator;
  private InstanceLauncher ec2;

  @BeforeEach
  void start() {
    MotoServer.get().reset();
    KubeApi api = KubeApi.get();
    k8s = api.client();
    namespace = api.newNamespace("runs");
    faults = new Ec2Faults();
    operator = startOperator();
    Ec2Examples.createLaunchTemplate(operator.bean(AwsClients.class));
    // The test's own view of EC2, without the injected faults.
    var settings = new dev.buildserver.aws.AwsSettings();
    settings.setEndpoint(MotoServer.get().endpoint());
    settings.setRegion("us-east-1");
    ec2 = new InstanceLauncher(new AwsClients(settings));
    faults.resetCounts(); // count only what the runs do
  }

  private InProcessOperator startOperator() {
    // The default cap: moto is reset before each test, so only this test's runs count.
    return InProcessOperator.start(
        List.of(faults), Map.of("buildserver.ec2.max-active-runs-per-region", 5), namespace);
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void theExampleSucceedsUnchangedAndLeavesNothingRunning() {
    Ec2TestRun example =
        Resources.load(RepoFiles.examples().resolve("ec2-test-run.yaml"), Ec2TestRun.class);
    example.getMetadata().setNamespace(namespace);
    k8s.resource(example).create();

    Ec2TestRun done = awaitPhase(example, Phase.Succeeded);
    Ec2TestRunStatus status = done.getStatus();
    assertThat(status.getInstanceId()).startsWith("i-");
    assertThat(status.getInstanceType()).isEqualTo("t2.micro");
    assertThat(status.getAvailabilityZone()).startsWith("us-east-1");
    assertThat(status.getTimeToRunningSeconds()).isNotNull();
    assertThat(status.getLaunchedAt()).isNotNull();
    assertThat(status.getRunningAt()).isNotNull();
    assertThat(status.getFinishedAt()).isNotNull();
    assertThat(status.getChecks())
        .extracting(Check::name)
        .containsExactly("region", "state", "instanceType", "tag:type");
    assertThat(status.getChecks()).allMatch(Check::passed);
    assertThat(Resources.condition(done, "Complete").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(Resources.condition(done, "Succeeded").orElseThrow().getReason())
        .isEqualTo("ChecksPassed");
    assertThat(state(status.getInstanceId())).isEqualTo("terminated");
    for (String phase :
        List.of(
            "Launching",
            "WaitingForRunning",
            "Verifying",
            "Terminating",
            "Finished",
            "ChecksPassed")) {
      awaitEvent(example.getMetadata().getName(), phase);
    }
    // Each phase ran once: one Event per transition, never repeated or counted twice.
    var events =
        k8s.v1().events().inNamespace(namespace).list().getItems().stream()
            .filter(e -> e.getInvolvedObject().getName().equals(example.getMetadata().getName()))
            .toList();
    assertThat(events)
        .extracting(e -> e.getReason() + " x" + (e.getCount() == null ? 1 : e.getCount()))
        .containsExactlyInAnyOrder(
            "Launching x1",
            "WaitingForRunning x1",
            "Verifying x1",
            "Terminating x1",
            "Finished x1",
            "ChecksPassed x1");
    assertThat(faults.calls())
        .isEqualTo(Map.of("DescribeInstances", 5, "RunInstances", 1, "TerminateInstances", 1));
  }

  @Test
  void aSuccessfulRunMakesSevenEc2Calls() {
    Ec2TestRun run =
        apply(
            "metadata: {name: counted}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}");
    awaitPhase(run, Phase.Succeeded);
    // DescribeInstances: the count against the launch caps, the owner-tag lookup, the wait for
    // running, the verification, and the owner check before TerminateInstances (status is no
    // proof of whose instance it names).
    assertThat(faults.calls())
        .isEqualTo(Map.of("DescribeInstances", 5, "RunInstances", 1, "TerminateInstances", 1));
  }

  @Test
  void eachExpectationFailsOnItsOwnAndTheInstanceIsStillTerminated() {
    Map<String, String> cases =
        Map.of(
            "wrong-type", "expect: {instanceType: m5.large}",
            "wrong-tag", "expect: {tags: {type: production}}",
            "wrong-zone", "expect: {availabilityZone: us-east-1z}",
            "wrong-state", "expect: {state: stopped}");
    cases.forEach(
        (name, expect) ->
            apply(
                "metadata: {name: %s}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro, tags: {type: aws-test}, %s}"
                    .formatted(name, expect)));
    Map<String, String> failing =
        Map.of(
            "wrong-type",
            "instanceType",
            "wrong-tag",
            "tag:type",
            "wrong-zone",
            "availabilityZone",
            "wrong-state",
            "state");
    failing.forEach(
        (name, check) -> {
          Ec2TestRunStatus status = awaitPhase(named(name), Phase.Failed).getStatus();
          assertThat(status.getChecks())
              .filteredOn(c -> !c.passed())
              .extracting(Check::name)
              .containsExactly(check);
          assertThat(status.getMessage()).contains("1 of").contains(check + " expected");
          assertThat(state(status.getInstanceId())).isEqualTo("terminated");
          assertThat(Resources.condition(named(name), "Succeeded").orElseThrow().getReason())
              .isEqualTo("ChecksFailed");
        });
  }

  @Test
  void anInstanceThatNeverRunsTimesOutAndIsTerminated() {
    faults.holdPending(namespace + "/stuck");
    Ec2TestRun run =
        apply(
            "metadata: {name: stuck}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro, timeouts: {running: 4s}}");
    Ec2TestRun failed = awaitPhase(run, Phase.Failed);
    assertThat(failed.getStatus().getChecks())
        .anyMatch(
            c -> c.name().equals("state") && c.actual().equals("pending after 4s") && !c.passed());
    assertThat(Resources.condition(failed, "Succeeded").orElseThrow().getReason())
        .isEqualTo("TimedOut");
    assertThat(state(failed.getStatus().getInstanceId())).isEqualTo("terminated");
  }

  @Test
  void deletingARunMidwayTerminatesItsInstance() {
    faults.holdPending(namespace + "/deleted");
    Ec2TestRun run =
        apply(
            "metadata: {name: deleted}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}");
    String instance = awaitPhase(run, Phase.WaitingForRunning).getStatus().getInstanceId();
    assertThat(state(instance)).isEqualTo("running"); // pending only as the operator sees it
    k8s.resource(run).delete();
    await().atMost(KubeApi.WAIT).until(() -> k8s.resource(run).get() == null);
    assertThat(state(instance)).isEqualTo("terminated");
  }

  @Test
  void anOperatorThatDiesRightAfterRunInstancesStillEndsWithOneInstance() {
    faults.failAfterLaunch(namespace + "/crash");
    Ec2TestRun run =
        apply(
            "metadata: {name: crash}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}");
    await().atMost(KubeApi.WAIT).until(() -> faults.calls("RunInstances") >= 1);
    operator.close(); // killed: the instance id never reached status
    operator = startOperator();

    Ec2TestRun done = awaitPhase(run, Phase.Succeeded);
    String uid = done.getMetadata().getUid();
    List<InstanceInfo> launched =
        ec2.ownedInstances("us-east-1").stream()
            .filter(i -> uid.equals(i.tags().get(LaunchSpec.OWNER_UID_TAG)))
            .toList();
    assertThat(launched).hasSize(1);
    assertThat(launched.get(0).instanceId()).isEqualTo(done.getStatus().getInstanceId());
  }

  @Test
  void throttlingIsRetriedAndReportedButDoesNotFailTheRun() {
    faults.throttle(namespace + "/throttled", 2);
    Ec2TestRun run =
        apply(
            "metadata: {name: throttled}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}");
    awaitPhase(run, Phase.Succeeded);
    awaitEvent("throttled", "Throttled");
  }

  @Test
  void refusalsFailTheRunWithTheAwsErrorCodeAndLaunchNothing() {
    faults.refuse(namespace + "/denied", "UnauthorizedOperation");
    Ec2TestRun denied =
        apply(
            "metadata: {name: denied}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro}");
    Ec2TestRun noTemplate =
        apply(
            "metadata: {name: no-template}\nspec: {region: us-east-1, launchTemplate: {name: does-not-exist}}");
    Ec2TestRun noSubnet =
        apply(
            "metadata: {name: no-subnet}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro, subnetId: subnet-0000dead}");

    assertLaunchFailed(denied, "UnauthorizedOperation", "ec2:RunInstances");
    assertLaunchFailed(
        noTemplate,
        "InvalidLaunchTemplateName",
        "launch templates specified in the request does not exist");
    assertLaunchFailed(noSubnet, "InvalidSubnetID.NotFound", "subnet-0000dead");
    assertThat(ec2.ownedInstances("us-east-1")).isEmpty();
  }

  @Test
  void inlineTemplateDataMakesATemporaryTemplateThatIsDeletedAfterwards() {
    Ec2TestRun run =
        apply(
            """
            metadata: {name: inline-template}
            spec:
              region: us-east-1
              launchTemplate:
                data: {imageId: ami-12c6146b, instanceType: t3.nano, tags: {suite: inline}}
              expect: {tags: {suite: inline}}
            """);
    // moto applies a template's tags but not its instance type, so only the tags are expected here.
    Ec2TestRun done = awaitPhase(run, Phase.Succeeded);
    assertThat(faults.calls("CreateLaunchTemplate")).isEqualTo(1);
    assertThat(faults.calls("DeleteLaunchTemplate"))
        .isPositive(); // idempotent: a retried step deletes again
    var templates =
        operator
            .bean(AwsClients.class)
            .ec2("us-east-1")
            .describeLaunchTemplates()
            .launchTemplates();
    assertThat(templates)
        .noneMatch(
            t ->
                t.launchTemplateName()
                    .equals(LaunchSpec.temporaryTemplateName(done.getMetadata().getUid())));
  }

  @Test
  void finishedRunsDeleteThemselvesAfterTheirTtl() {
    Ec2TestRun run =
        apply(
            "metadata: {name: short-lived}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro, ttlSecondsAfterFinished: 1}");
    await().atMost(KubeApi.WAIT).until(() -> k8s.resource(run).get() == null);
  }

  @Test
  void onSuccessKeepsTheInstanceOfAFailedRunForDebugging() {
    Ec2TestRun run =
        apply(
            "metadata: {name: keep-on-failure}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro, terminate: OnSuccess, expect: {instanceType: m5.large}}");
    Ec2TestRunStatus status = awaitPhase(run, Phase.Failed).getStatus();
    assertThat(status.getMessage()).contains("was kept running");
    assertThat(state(status.getInstanceId())).isEqualTo("running");
  }

  @Test
  void fiftyConcurrentRunsLeaveNoInstanceRunningAndRespectTheCap() {
    List<Ec2TestRun> runs =
        IntStream.range(0, 50)
            .mapToObj(
                i ->
                    apply(
                        "metadata: {name: many-%d}\nspec: {region: us-east-1, imageId: ami-12c6146b, instanceType: t2.micro, expect: {instanceType: t2.micro}}"
                            .formatted(i)))
            .toList();
    await()
        .atMost(Duration.ofMinutes(3))
        .until(() -> runs.stream().allMatch(r -> phase(k8s.resource(r).get()) == Phase.Succeeded));
    List<InstanceInfo> instances = ec2.ownedInstances("us-east-1");
    assertThat(instances).hasSize(50);
    assertThat(instances).allMatch(i -> i.state().equals("terminated"));
    assertThat(faults.mostAliveAtOnce()).isBetween(1, 5);
  }

  // --- helpers

  private Ec2TestRun apply(String yaml) {
    return new Cluster(k8s, namespace).create(Ec2TestRun.class, yaml);
  }

  private Ec2TestRun named(String name) {
    return k8s.resources(Ec2TestRun.class).inNamespace(namespace).withName(name).get();
  }

  private static Phase phase(Ec2TestRun run) {
    return run == null || run.getStatus() == null ? null : run.getStatus().getPhase();
  }

  private Ec2TestRun awaitPhase(Ec2TestRun run, Phase phase) {
    try {
      return await()
          .atMost(KubeApi.WAIT)
          .until(() -> named(run.getMetadata().getName()), r -> phase(r) == phase);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      var current = named(run.getMetadata().getName());
      throw new AssertionError(
          run.getMetadata().getName()
              + " did not reach "
              + phase
              + "; status: "
              + (current == null ? "gone" : Serialization.asJson(current.getStatus())),
          e);
    }
  }

  private void assertLaunchFailed(Ec2TestRun run, String code, String detail) {
    Ec2TestRun failed = awaitPhase(run, Phase.Failed);
    assertThat(Resources.condition(failed, "Succeeded").orElseThrow().getReason())
        .isEqualTo("LaunchFailed");
    assertThat(failed.getStatus().getInstanceId()).isNull();
    assertThat(failed.getStatus().getChecks())
        .singleElement()
        .satisfies(c -> assertThat(c.actual()).contains(code).contains(detail));
  }

  private String state(String instanceId) {
    return ec2.describe("us-east-1", instanceId).map(InstanceInfo::state).orElse("missing");
  }

  private void awaitEvent(String name, String reason) {
    Resources.awaitEvent(k8s, namespace, name, reason, null);
  }
}
