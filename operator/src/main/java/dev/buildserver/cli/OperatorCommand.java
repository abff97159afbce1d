package dev.buildserver.cli;

import dev.buildserver.Main.CliException;
import dev.buildserver.runtime.OperatorRuntime;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.server.exceptions.ServerStartupException;
import io.micronaut.runtime.server.EmbeddedServer;
import jakarta.inject.Inject;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/** {@code builder operator}: serves HTTP (API, health, metrics) and runs the reconcilers. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = {
      "Run the operator and the HTTP server until SIGTERM.",
      "Uses the kubeconfig (KUBECONFIG, ~/.kube/config) or the in-cluster service account."
    })
public class OperatorCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorCommand.class);

  @Inject ApplicationContext context;

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedServer server = context.getBean(EmbeddedServer.class);
    try {
      server.start();
    } catch (ServerStartupException e) {
      throw new CliException(
          "cannot serve HTTP on port "
              + server.getPort()
              + ": "
              + e.getMessage()
              + " (free the port or set MICRONAUT_SERVER_PORT)",
          3);
    }
    LOG.info("HTTP server on {}", server.getURL());
    OperatorRuntime runtime = context.getBean(OperatorRuntime.class);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Shutting down");
                  runtime.stop();
                  server.stop();
                  stopped.countDown();
                },
                "shutdown"));
    try {
      runtime.start();
    } catch (OperatorRuntime.OperatorStartException e) {
      throw new CliException("the operator could not start: " + e.getMessage(), 4);
    }
    stopped.await();
    return 0;
  }
}
