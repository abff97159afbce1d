package dev.buildserver.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code builder completion bash|zsh}: prints a completion script made by picocli from the command
 * model, so it always knows every subcommand and flag. zsh loads it through bashcompinit.
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = {
      "Print a shell completion script.",
      "bash: source <(builder completion bash)",
      "zsh:  source <(builder completion zsh)"
    })
public class CompletionCommand implements Callable<Integer> {

  enum Shell {
    bash,
    zsh
  }

  @Parameters(index = "0", description = "The shell: ${COMPLETION-CANDIDATES}.")
  Shell shell;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("builder", spec.root().commandLine());
    if (shell == Shell.zsh) {
      script =
          "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
              + script;
    }
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
