package dev.buildserver.testing;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.runtime.OperatorRuntime;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The operator as {@code builder operator} wires it (same Micronaut beans), started in the test JVM
 * against the shared API server and moto, watching only the given namespaces, with a short resync
 * so that drift tests finish quickly.
 */
public final class InProcessOperator implements AutoCloseable {

  public static final String API_TOKEN = "test-token";
  public static final String RESYNC = "2s";

  private final ApplicationContext context;
  private final EmbeddedServer server;

  private InProcessOperator(ApplicationContext context, EmbeddedServer server) {
    this.context = context;
    this.server = server;
  }

  public static InProcessOperator start(String... namespaces) {
    return start(List.of(), Map.of(), namespaces);
  }

  /**
   * With extra beans (e.g. an SDK ExecutionInterceptor that injects EC2 faults) and extra
   * configuration properties.
   */
  public static InProcessOperator start(
      List<Object> beans, Map<String, Object> extra, String... namespaces) {
    Map<String, Object> properties = new HashMap<>();
    properties.put("buildserver.operator.kubeconfig", KubeApi.get().kubeconfig().toString());
    properties.put("buildserver.operator.watch-namespaces", String.join(",", namespaces));
    properties.put("buildserver.operator.resync-period", RESYNC);
    properties.put("buildserver.aws.endpoint", MotoServer.get().endpoint().toString());
    properties.put("buildserver.aws.region", "us-east-1");
    properties.put("buildserver.api.token", API_TOKEN);
    properties.put("micronaut.server.port", -1);
    // Test servers (URL sources, ledgers) run on loopback, which the operator refuses by default.
    properties.put("buildserver.outbound.allow-loopback", true);
    // The launch caps count every instance the shared emulator holds, kept ones of earlier tests
    // included: out of the way here. LaunchCapsE2ETest proves them on a stack of its own.
    properties.put("buildserver.ec2.max-active-runs-per-region", 1000);
    properties.putAll(extra);
    return startWith(beans, properties);
  }

  /** With these configuration properties only: for a stack other than the shared test rig. */
  public static InProcessOperator startWith(List<Object> beans, Map<String, Object> properties) {
    ApplicationContext context =
        ApplicationContext.builder().properties(properties).singletons(beans.toArray()).start();
    EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
    context.getBean(OperatorRuntime.class).start();
    return new InProcessOperator(context, server);
  }

  public URI url() {
    return server.getURI();
  }

  public <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  /** The operator's own S3 client (path-style, pointed at moto). */
  public S3Client s3() {
    return bean(AwsClients.class).s3("us-east-1");
  }

  @Override
  public void close() {
    context.getBean(OperatorRuntime.class).stop();
    server.stop();
    context.close();
  }
}
