package dev.buildserver;

import dev.buildserver.testing.MotoServer;
import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

/**
 * {@code builder} run inside the test JVM, wired as {@link Main} wires it, with extra beans (such
 * as an SDK interceptor that injects faults) and pointed at moto.
 */
public final class InProcessCli {

  private InProcessCli() {}

  /** The exit code and what the command wrote to its error stream. */
  public record Result(int exitCode, String stderr) {}

  public static Result run(List<Object> beans, String... args) {
    Map<String, Object> properties =
        Map.of(
            "buildserver.aws.endpoint",
            MotoServer.get().endpoint().toString(),
            "buildserver.aws.region",
            "us-east-1");
    try (ApplicationContext context =
        ApplicationContext.builder(Main.class)
            .environments("cli")
            .properties(properties)
            .singletons(beans.toArray())
            .start()) {
      StringWriter err = new StringWriter();
      var commandLine = Main.commandLine(new MicronautFactory(context));
      commandLine.setErr(new PrintWriter(err, true));
      int exit = commandLine.execute(args);
      return new Result(exit, err.toString());
    }
  }
}
