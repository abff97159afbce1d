package dev.buildserver.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildserver.asset.BuildAsset;
import dev.buildserver.asset.BuildAssetReconciler;
import dev.buildserver.asset.UrlSource;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.aws.WorkloadIdentities;
import dev.buildserver.ec2.Ec2Settings;
import dev.buildserver.ec2.Ec2TestRun;
import dev.buildserver.ec2.Ec2TestRunReconciler;
import dev.buildserver.ec2.Ec2TestRunStatus;
import dev.buildserver.ec2.Ec2TestRunner;
import dev.buildserver.ec2.InstanceLauncher;
import dev.buildserver.ec2.LaunchQuota;
import dev.buildserver.ledger.BalanceReport;
import dev.buildserver.ledger.BalanceReportReconciler;
import dev.buildserver.ledger.BalanceService;
import dev.buildserver.ledger.LedgerMemory;
import dev.buildserver.ledger.LedgerPager;
import dev.buildserver.ledger.LedgerSettings;
import dev.buildserver.metrics.BuildserverMetrics;
import dev.buildserver.outbound.OutboundHttp;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.status.EventRecorder;
import dev.buildserver.status.Finalizers;
import dev.buildserver.status.Pause;
import dev.buildserver.status.StatusRecorder;
import dev.buildserver.testing.Ec2Examples;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.LoopbackOutbound;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.RepoFiles;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The three reconcilers hosted by {@link OperatorRuntime}, against the fabric8 mock server and
 * moto.
 */
@Tag("component") // needs moto, the mock API server or child JVMs: not in make test-unit
@EnableKubernetesMockClient(crud = true)
class ReconcilersOnMockServerTest {

  KubernetesClient client; // a fresh mock server per test
  private OperatorRuntime runtime;
  private ObjectStore store;
  private LedgerServer ledger;

  @BeforeEach
  void startOperator() {
    Resources.createCrds(client);
    MotoServer.get().reset(); // the examples use fixed bucket names
    OperatorSettings settings = new OperatorSettings();
    settings.setServerSideApply(false); // the mock server has no Server-Side Apply
    Clock clock = Clock.systemUTC();
    EventRecorder events = new EventRecorder(client, clock);
    StatusRecorder recorder = new StatusRecorder(events, clock);
    AwsSettings awsSettings = new AwsSettings();
    awsSettings.setEndpoint(MotoServer.get().endpoint());
    awsSettings.setRegion("us-east-1");
    AwsClients aws = new AwsClients(awsSettings);
    WorkloadIdentities identities = WorkloadIdentities.operatorOnly(awsSettings);
    Ec2Examples.createLaunchTemplate(aws);
    OutboundHttp http = LoopbackOutbound.http();
    store = new ObjectStore(aws);
    OwnedObjects owned = new OwnedObjects(store, client);
    LedgerSettings ledgerSettings = new LedgerSettings();
    ledger = LedgerServer.start().serveFiles(RepoFiles.examples().resolve("ledger/transactions"));
    runtime =
        new OperatorRuntime(
            client,
            List.of(
                new BuildAssetReconciler(
                    store, owned, new UrlSource(http), recorder, events, clock, identities),
                new Ec2TestRunReconciler(
                    new Ec2TestRunner(new InstanceLauncher(aws), new Ec2Settings()),
                    new InstanceLauncher(aws),
                    recorder,
                    clock,
                    new Ec2Settings(),
                    BuildserverMetrics.unregistered(),
                    identities,
                    new LaunchQuota(client, new Ec2Settings(), settings)),
                new BalanceReportReconciler(
                    new BalanceService(
                        new LedgerPager(http, ledgerSettings), new LedgerMemory(ledgerSettings)),
                    owned,
                    recorder,
                    events,
                    ledgerSettings,
                    clock,
                    identities)),
            new SimpleMeterRegistry(),
            settings);
    runtime.start();
  }

  @AfterEach
  void stopOperator() {
    runtime.stop();
    ledger.close();
  }

  @Test
  void tracksEveryExampleWithFinalizerGenerationAndReadyCondition() {
    assertThat(runtime.state()).isEqualTo(OperatorRuntime.State.RUNNING);
    var examples = RepoFiles.examples();
    BuildAsset asset = Resources.load(examples.resolve("put-asset.yaml"), BuildAsset.class);
    assertTracked(asset, "True", "Uploaded");
    assertThat(
            store.head(
                AwsIdentity.OPERATOR,
                "us-east-1",
                asset.getSpec().bucket(),
                asset.getSpec().key(),
                null))
        .as("the example's object in moto")
        .isPresent();
    Ec2TestRun run = Resources.load(examples.resolve("ec2-test-run.yaml"), Ec2TestRun.class);
    run.getMetadata().setNamespace("default");
    client.resource(run).create();
    Ec2TestRun done =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> client.resource(run).get(),
                r ->
                    r.getStatus() != null
                        && r.getStatus().getPhase() == Ec2TestRunStatus.Phase.Succeeded);
    assertThat(done.getMetadata().getFinalizers()).contains(Finalizers.NAME);
    assertThat(Resources.condition(done, "Succeeded").orElseThrow().getReason())
        .isEqualTo("ChecksPassed");
    BalanceReport report = Resources.exampleBalanceReport(ledger);
    assertTracked(report, "True", "Synced");
    assertThat(client.resource(report).get().getStatus().getTotalBalance()).isEqualTo("-4335.35");
  }

  @Test
  void reportsPausedWhileTheAnnotationIsSet() {
    BuildAsset asset =
        Resources.load(RepoFiles.examples().resolve("put-asset.yaml"), BuildAsset.class);
    asset.getMetadata().setNamespace("default");
    asset.getMetadata().setAnnotations(java.util.Map.of(Pause.ANNOTATION, "true"));
    client.resource(asset).create();

    Condition ready = awaitReady(asset);
    assertThat(ready.getReason()).isEqualTo(Pause.REASON);
    assertThat(ready.getStatus()).isEqualTo("False");
  }

  private <T extends CustomResource<?, ?>> void assertTracked(
      T resource, String status, String reason) {
    resource.getMetadata().setNamespace("default");
    client.resource(resource).create();

    Condition ready = awaitReady(resource);
    T current = client.resource(resource).get();
    assertThat(current.getMetadata().getFinalizers()).contains(Finalizers.NAME);
    assertThat(ready.getStatus()).isEqualTo(status);
    assertThat(ready.getReason()).isEqualTo(reason);
  }

  private <T extends CustomResource<?, ?>> Condition awaitReady(T resource) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> Resources.condition(client.resource(resource).get(), "Ready").orElse(null),
            c -> c != null);
  }
}
