package dev.buildserver.testing;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Small helpers to load manifests and read conditions in tests. */
public final class Resources {

  private Resources() {}

  /** Loads one manifest file as the given type. */
  public static <T extends HasMetadata> T load(Path file, Class<T> type) {
    try {
      return Serialization.unmarshal(Files.readString(file), type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates the committed CRDs in a (mock) API server. */
  public static void createCrds(KubernetesClient client) {
    try (var files = Files.list(RepoFiles.crds())) {
      files
          .filter(p -> p.toString().endsWith(".yml"))
          .forEach(
              p -> {
                try (var in = Files.newInputStream(p)) {
                  client
                      .resource(
                          client.apiextensions().v1().customResourceDefinitions().load(in).item())
                      .createOr(NonDeletingOperation::update);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until an Event with this reason (and type, when given) was recorded on the object. */
  public static void awaitEvent(
      KubernetesClient client, String namespace, String name, String reason, String type) {
    org.awaitility.Awaitility.await()
        .atMost(KubeApi.WAIT)
        .until(
            () ->
                client.v1().events().inNamespace(namespace).list().getItems().stream()
                    .anyMatch(
                        e ->
                            name.equals(e.getInvolvedObject().getName())
                                && reason.equals(e.getReason())
                                && (type == null || type.equals(e.getType()))));
  }

  /** examples/balance-report.yaml, reading the example's own ledger files from a test server. */
  public static dev.buildserver.ledger.BalanceReport exampleBalanceReport(LedgerServer ledger) {
    var report =
        load(
            RepoFiles.examples().resolve("balance-report.yaml"),
            dev.buildserver.ledger.BalanceReport.class);
    report.setSpec(
        new dev.buildserver.ledger.BalanceReportSpec(
            new dev.buildserver.ledger.BalanceReportSpec.LedgerSource(ledger.urlTemplate(), null),
            null,
            null,
            null,
            null,
            null));
    return report;
  }

  /** The condition of the given type on a buildserver resource, if set. */
  public static Optional<Condition> condition(CustomResource<?, ?> resource, String type) {
    if (resource == null || resource.getStatus() == null) {
      return Optional.empty();
    }
    var status = (dev.buildserver.status.ResourceStatus) resource.getStatus();
    return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}
