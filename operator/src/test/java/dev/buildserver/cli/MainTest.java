package dev.buildserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.Main;
import dev.buildserver.testing.RepoFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MainTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream originalOut;
  private PrintStream originalErr;

  @BeforeEach
  void capture() {
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  @Test
  void helpListsTheOperatorCommand() {
    assertThat(Main.run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("operator");
  }

  @Test
  void anUnknownCommandIsOneLineOnStderrAndExitCode2() {
    assertThat(Main.run("no-such-command")).isEqualTo(2);
    String stderr = err.toString(StandardCharsets.UTF_8).strip();
    assertThat(stderr).startsWith("builder: ").contains("no-such-command").doesNotContain("\n");
  }

  @Test
  void versionNamesTheBuildAndTheCommitItWasBuiltFrom() throws Exception {
    assertThat(Main.run("--version")).isZero();
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines.get(0)).isEqualTo("builder " + chartAppVersion());
    assertThat(lines.get(1)).startsWith("commit ");
    String commit = lines.get(1).substring("commit ".length()).replace("-dirty", "");
    assertThat(commit).hasSizeGreaterThanOrEqualTo(7);
    assertThat(git("rev-parse", "HEAD")).startsWith(commit);
  }

  /** One version for the jar, the chart and the image (the Makefile's IMAGE reads appVersion). */
  @Test
  void theJarTheChartAndItsAppVersionMoveTogether() throws Exception {
    String chart = Files.readString(RepoFiles.repo().resolve("helm/buildserver/Chart.yaml"));
    String pom = Files.readString(RepoFiles.repo().resolve("pom.xml"));
    assertThat(chart).contains("\nversion: " + chartAppVersion() + "\n");
    assertThat(pom).contains("<version>" + chartAppVersion() + "</version>");
    assertThat(Files.readString(RepoFiles.repo().resolve("CHANGELOG.md")))
        .contains("## " + chartAppVersion() + " ");
  }

  private static String chartAppVersion() throws java.io.IOException {
    String chart = Files.readString(RepoFiles.repo().resolve("helm/buildserver/Chart.yaml"));
    var m = java.util.regex.Pattern.compile("(?m)^appVersion: \"([^\"]+)\"$").matcher(chart);
    assertThat(m.find()).as("appVersion in Chart.yaml").isTrue();
    return m.group(1);
  }

  @Test
  void versionHelpAndCompletionStartNoApplicationContext() {
    assertThat(Main.needsNoServices("--version")).isTrue();
    assertThat(Main.needsNoServices("completion", "bash")).isTrue();
    assertThat(Main.needsNoServices("put-asset", "--help")).isTrue();
    assertThat(Main.needsNoServices("put-asset", "--bucket", "b")).isFalse();
    assertThat(Main.needsNoServices("operator")).isFalse();
    assertThat(Main.run("put-asset", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--create-bucket");
  }

  @Test
  void bashCompletionCompletesSubcommandsAndFlags() throws Exception {
    assertThat(Main.run("completion", "bash")).isZero();
    Path script = Files.createTempFile("builder-completion", ".bash");
    Files.writeString(script, out.toString(StandardCharsets.UTF_8));
    assertThat(complete(script, "builder put")).contains("put-asset");
    assertThat(complete(script, "builder put-asset --create")).contains("--create-bucket");
    assertThat(complete(script, "builder completion ")).contains("bash", "zsh");
    assertThat(complete(script, "builder rec")).contains("reconcile");
    assertThat(complete(script, "builder reconcile --")).contains("--wait", "--namespace");
    assertThat(complete(script, "builder reconcile ")).contains("buildasset/", "ec2testrun/");
  }

  @Test
  void zshCompletionLoadsTheScriptThroughBashcompinit() {
    assertThat(Main.run("completion", "zsh")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("autoload -U +X compinit && compinit")
        .contains("bashcompinit")
        .contains("complete -F");
  }

  /** What bash completes for the words typed so far, with the generated script sourced. */
  private static String complete(Path script, String typed) throws Exception {
    String words = typed.endsWith(" ") ? typed + "''" : typed;
    String program =
        "source '%s'; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE='%s';"
                .formatted(script, words, typed)
            + " COMP_POINT=${#COMP_LINE}; _complete_builder; printf '%s\\n' \"${COMPREPLY[@]}\"";
    return run("bash", "-c", program);
  }

  private static String git(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "-C", RepoFiles.repo().toString()));
    command.addAll(List.of(args));
    return run(command.toArray(String[]::new)).strip();
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }
}
