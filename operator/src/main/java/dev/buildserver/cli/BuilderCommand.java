package dev.buildserver.cli;

import picocli.CommandLine.Command;

/**
 * The top-level {@code builder} command; it only groups the subcommands. Picocli creates every
 * subcommand before it runs one, so subcommands take their services as {@code BeanProvider}s: a
 * command builds only the clients it uses (`builder balance` never builds an S3 client).
 */
@Command(
    name = "builder",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Build and infrastructure chores on AWS: a Kubernetes operator and its CLI.",
    subcommands = {
      OperatorCommand.class,
      PutAssetCommand.class,
      GetAssetCommand.class,
      ListAssetsCommand.class,
      BalanceCommand.class,
      Ec2TestCommand.class,
      ReconcileCommand.class,
      CompletionCommand.class
    })
public class BuilderCommand {}
