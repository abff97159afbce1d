package dev.buildserver.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.aws.AwsSettings;
import dev.buildserver.common.InstanceIdentity;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings that would fail every reconcile stop the start instead, with one clear line. */
class OperatorRuntimeStartTest {

  @TempDir Path dir;

  @Test
  void aCaBundleThatIsNotThereStopsTheStart() {
    Path missing = dir.resolve("ca.pem");
    AwsSettings aws = new AwsSettings();
    aws.setCaBundle(missing.toString());
    // Nothing listens there: the start must fail before the API server is asked anything.
    try (KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1").build())
            .build()) {
      OperatorRuntime runtime =
          new OperatorRuntime(
              client,
              List.of(),
              new SimpleMeterRegistry(),
              new OperatorSettings(),
              new InstanceIdentity(),
              aws);

      assertThatThrownBy(runtime::start)
          .isInstanceOf(OperatorRuntime.OperatorStartException.class)
          .hasMessage(
              "buildserver.aws.ca-bundle "
                  + missing
                  + ": no such file; point it at a PEM file of CA certificates");
      assertThat(runtime.state()).isEqualTo(OperatorRuntime.State.FAILED);
    }
  }
}
