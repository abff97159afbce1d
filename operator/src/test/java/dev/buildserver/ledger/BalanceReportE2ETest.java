package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.testing.Cents;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.LedgerServer;
import dev.buildserver.testing.Resources;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** BalanceReports reconciled against ledgers served over real HTTP on 127.0.0.1. */
class BalanceReportE2ETest {

  private static KubernetesClient k8s;
  private static Cluster cluster;
  private static String namespace;
  private static InProcessOperator operator;

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    k8s = api.client();
    namespace = api.newNamespace("ledgers");
    cluster = new Cluster(k8s, namespace);
    // The test ledger is plain http on 127.0.0.1: allow-listed, so that it may receive a token.
    operator =
        InProcessOperator.start(
            List.of(), Map.of("buildserver.outbound.allow-hosts", "127.0.0.1"), namespace);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void reportsTotalsThatMatchAnIndependentComputationAndWritesTheFullReport() throws Exception {
    List<Transaction> transactions = LedgerServer.transactions(237, 11);
    operator.s3().createBucket(b -> b.bucket("reports"));
    try (LedgerServer ledger = LedgerServer.start().publish(transactions, 10, true)) {
      BalanceReport report =
          apply(
              """
              metadata: {name: full}
              spec:
                ledger: {url: "%s"}
                output: {s3: {bucket: reports, key: full.json}}
              """
                  .formatted(ledger.urlTemplate()));
      BalanceReport ready = awaitReason(report, "Synced");
      BalanceReportStatus status = ready.getStatus();

      assertThat(Cents.equal(status.getTotalBalance(), Cents.total(transactions))).isTrue();
      assertThat(status.getTransactionCount()).isEqualTo(237);
      assertThat(status.getPageCount()).isEqualTo(24);
      Map<String, Long> perLedger = Cents.perLedger(transactions);
      assertThat(status.getLedgerTotals()).hasSize(perLedger.size());
      status
          .getLedgerTotals()
          .forEach(
              t ->
                  assertThat(Cents.equal(t.total(), perLedger.get(t.ledger())))
                      .as(t.ledger())
                      .isTrue());
      var days = status.getDailyBalances();
      assertThat(days.get(days.size() - 1).balance()).isEqualTo(status.getTotalBalance());
      assertThat(days).extracting(BalanceReportStatus.DailyBalance::date).isSorted();
      assertThat(status.getFirstDate()).isEqualTo(days.get(0).date());
      assertThat(status.getLastSyncTime()).isNotBlank();
      assertThat(status.getReportLocation()).isEqualTo("s3://reports/full.json");

      JsonNode written =
          new ObjectMapper()
              .readTree(
                  operator
                      .s3()
                      .getObjectAsBytes(b -> b.bucket("reports").key("full.json"))
                      .asUtf8String());
      assertThat(written.get("totalBalance").asText()).isEqualTo(status.getTotalBalance());
      assertThat(written.get("dailyBalances")).hasSize(days.size());
    }
  }

  @Test
  void rereadsOnScheduleWritesOnlyChangesAndKeepsTheLastGoodReportOnFailure() throws Exception {
    List<Transaction> transactions = new ArrayList<>(LedgerServer.transactions(40, 12));
    try (LedgerServer ledger = LedgerServer.start().publish(transactions, 10, true)) {
      BalanceReport report =
          apply(
              """
              metadata: {name: refreshed}
              spec: {refreshInterval: 2s, ledger: {url: "%s"}}
              """
                  .formatted(ledger.urlTemplate()));
      BalanceReport first = awaitReason(report, "Synced");
      int requests = ledger.requests();

      // Re-read on schedule, same data: no status write.
      await().atMost(KubeApi.WAIT).until(() -> ledger.requests() >= requests + 10);
      assertThat(k8s.resource(report).get().getMetadata().getResourceVersion())
          .isEqualTo(first.getMetadata().getResourceVersion());

      // New transactions: a new total.
      transactions.addAll(LedgerServer.transactions(5, 13));
      ledger.publish(transactions, 10, true);
      await()
          .atMost(KubeApi.WAIT)
          .until(() -> k8s.resource(report).get().getStatus().getTransactionCount(), n -> n == 45);
      BalanceReport updated = k8s.resource(report).get();
      assertThat(Cents.equal(updated.getStatus().getTotalBalance(), Cents.total(transactions)))
          .isTrue();

      // A count that does not add up (45 served, 40 announced): Ready=False, the last good report
      // stays.
      ledger.publish(transactions, 10, 40L);
      Condition inconsistent = awaitCondition(report, "InconsistentLedger");
      assertThat(inconsistent.getMessage())
          .contains("served 45 transactions on 5 pages, but its totalCount is 40")
          .contains("the report shown is the last good one");
      BalanceReport stale = k8s.resource(report).get();
      assertThat(stale.getStatus().getTotalBalance())
          .isEqualTo(updated.getStatus().getTotalBalance());
      assertThat(stale.getStatus().getTransactionCount()).isEqualTo(45);
    }
  }

  @Test
  void readsWithTheBearerTokenOfTheReferencedSecret() {
    try (LedgerServer ledger =
        LedgerServer.start()
            .publish(LedgerServer.transactions(12, 14), 5, true)
            .requireToken("t0ken")) {
      BalanceReport report =
          apply(
              """
              metadata: {name: private}
              spec: {ledger: {url: "%s", authSecretRef: {name: ledger-token, key: token}}}
              """
                  .formatted(ledger.urlTemplate()));
      assertThat(awaitCondition(report, "SecretNotFound").getMessage())
          .contains("Secret ledger-token does not exist");

      k8s.resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("ledger-token")
                  .withNamespace(namespace)
                  .endMetadata()
                  .addToData(
                      "token",
                      Base64.getEncoder().encodeToString("t0ken".getBytes(StandardCharsets.UTF_8)))
                  .build())
          .create();
      // Secrets of ledgers are read on demand: touch the spec to read again now.
      k8s.resources(BalanceReport.class)
          .inNamespace(namespace)
          .withName("private")
          .edit(
              r -> {
                r.getMetadata().setAnnotations(Map.of("touched", "1"));
                return r;
              });
      await()
          .atMost(KubeApi.WAIT)
          .until(() -> reason(k8s.resource(report).get()), "Synced"::equals);
      assertThat(Serialization.asJson(k8s.resource(report).get())).doesNotContain("t0ken");
    }
  }

  @Test
  void namesTheMalformedPageInTheCondition() {
    try (LedgerServer ledger =
        LedgerServer.start()
            .publish(LedgerServer.transactions(30, 15), 10, true)
            .rawPage(
                2,
                "{\"totalCount\": 30, \"page\": 2, \"transactions\": [{\"Date\": \"2013-12-01\", \"Ledger\": \"A\", \"Amount\": \"ten\", \"Company\": \"C\"}]}")) {
      BalanceReport report =
          apply(
              "metadata: {name: malformed}\nspec: {ledger: {url: \"%s\"}}"
                  .formatted(ledger.urlTemplate()));
      assertThat(awaitCondition(report, "MalformedPage").getMessage())
          .isEqualTo(
              "page 2, transaction 1: Amount 'ten' is not a decimal number like -110.71 (at most 40 characters)");
    }
  }

  private static BalanceReport apply(String yaml) {
    return cluster.create(BalanceReport.class, yaml);
  }

  private static String reason(BalanceReport report) {
    return Cluster.reason(report, "Ready");
  }

  private static BalanceReport awaitReason(BalanceReport report, String reason) {
    return cluster.awaitReady(report, reason);
  }

  private static Condition awaitCondition(BalanceReport report, String reason) {
    return Resources.condition(awaitReason(report, reason), "Ready").orElseThrow();
  }
}
