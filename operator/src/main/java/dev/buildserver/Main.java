package dev.buildserver;

import dev.buildserver.cli.BuilderCommand;
import dev.buildserver.runtime.JarServiceIndex;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Setting;
import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

/** The {@code builder} program: operator, CLI and HTTP service in one jar. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    commonPoolOfAtLeastTwo();
    System.exit(run(args));
  }

  /**
   * On one or two CPUs the JDK sizes the common pool at 1, and CompletableFuture then starts a new
   * thread for every asynchronous step: the JDK HTTP client under fabric8 did so three times per
   * reconcile (3,000 threads for 1,000 BuildAssets). A pool of 2 or more is reused instead. Must
   * run before anything touches the common pool; an explicit -D setting wins.
   */
  static void commonPoolOfAtLeastTwo() {
    String property = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(property) == null) {
      System.setProperty(
          property, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  /**
   * Runs one command and returns its exit code; errors are one line on stderr. Every command but
   * {@code operator} runs in the {@code cli} environment (application-cli.yml): a user on their own
   * machine may fetch from loopback.
   */
  public static int run(String... args) {
    if (needsNoServices(args)) {
      // --version, --help and completion only read the command model: no application context,
      // which saves most of a second of start-up.
      return commandLine(CommandLine.defaultFactory()).execute(args);
    }
    boolean operator = args.length > 0 && "operator".equals(args[0]);
    JarServiceIndex.installForSingleJarClassPath();
    try (ApplicationContext context =
        ApplicationContext.builder(Main.class)
            .environments(operator ? new String[0] : new String[] {"cli"})
            .start()) {
      return commandLine(new MicronautFactory(context)).execute(args);
    }
  }

  /** Whether the command only prints what the command model knows. */
  public static boolean needsNoServices(String... args) {
    if (args.length == 0) {
      return true; // usage
    }
    List<String> help = List.of("--help", "-h");
    return List.of("--version", "-V", "completion").contains(args[0])
        || help.contains(args[0])
        || (args.length == 2 && help.contains(args[1])); // builder put-asset --help
  }

  public static CommandLine commandLine(CommandLine.IFactory factory) {
    CommandLine commandLine = new CommandLine(BuilderCommand.class, factory);
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parseResult) -> {
          PrintWriter err = cmd.getErr();
          err.println("builder: " + oneLine(e));
          err.flush();
          return e instanceof CliException c ? c.exitCode() : 1;
        });
    commandLine.setParameterExceptionHandler(
        (e, argv) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println(
              "builder: "
                  + e.getMessage()
                  + " (see '"
                  + e.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help')");
          err.flush();
          return 2;
        });
    return commandLine;
  }

  private static String oneLine(Throwable e) {
    String message = e instanceof Problem p ? p.messageFor(Setting.Audience.CLI) : e.getMessage();
    if (message == null || message.isBlank()) {
      message = e.getClass().getSimpleName();
    }
    return message.replaceAll("\\s*\\R\\s*", " ");
  }

  /** An error a CLI user can act on, with its exit code. */
  public static class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }
}
