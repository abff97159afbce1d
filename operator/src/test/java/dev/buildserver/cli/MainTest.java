package dev.buildserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
}
