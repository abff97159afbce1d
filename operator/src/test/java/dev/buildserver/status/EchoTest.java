package dev.buildserver.status;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EchoTest {

  @Test
  void leavesAnOrdinaryValueAsItIs() {
    assertThat(Echo.value("releases/app-1.2.3.tar.gz")).isEqualTo("releases/app-1.2.3.tar.gz");
    assertThat(Echo.value("d\u00e9j\u00e0 \u65e5\u672c \ud83d\ude00"))
        .isEqualTo("d\u00e9j\u00e0 \u65e5\u672c \ud83d\ude00");
    assertThat(Echo.value(null)).isEqualTo("null");
  }

  @Test
  void escapesNewlinesSoNoValueForgesALogLine() {
    assertThat(Echo.value("a\nINFO forged\r\tb")).isEqualTo("a\\nINFO forged\\r\\tb");
  }

  @Test
  void escapesOtherControlCharactersAsUnicodeEscapes() {
    assertThat(Echo.value("\u001b[31mred\u0000\u007f\u0085\u009b"))
        .isEqualTo("\\u001b[31mred\\u0000\\u007f\\u0085\\u009b");
  }

  @Test
  void escapesLineSeparatorsAndBidiOverrides() {
    assertThat(Echo.value("a\u2028b\u202ec\u2066")).isEqualTo("a\\u2028b\\u202ec\\u2066");
  }

  @Test
  void cutsAValueAt120CharactersAndSaysSo() {
    String echoed = Echo.value("x".repeat(5000));
    assertThat(echoed).isEqualTo("x".repeat(120) + "\u2026(cut, 5000 chars)");
    assertThat(Echo.value("y".repeat(120))).isEqualTo("y".repeat(120));
  }

  @Test
  void neverCutsACharacterInHalf() {
    String echoed = Echo.value("x".repeat(119) + "\ud83d\ude00" + "z".repeat(10));
    assertThat(echoed).isEqualTo("x".repeat(119) + "\u2026(cut, 131 chars)");
  }

  @Test
  void capsAWholeMessageAt1024CharactersEscaped() {
    String message = Echo.message("line one\nline two " + "m".repeat(3000));
    assertThat(message).doesNotContain("\n").startsWith("line one\\nline two mmm");
    assertThat(message).endsWith("\u2026(cut, 3018 chars)");
    assertThat(message.length()).isLessThan(1024 + 30);
    assertThat(Echo.message(null)).isNull();
  }

  @Test
  void escapesATableCellWithoutCuttingIt() {
    String key = "k".repeat(300) + "\u001b]0;title\u0007";
    assertThat(Echo.escaped(key)).isEqualTo("k".repeat(300) + "\\u001b]0;title\\u0007");
  }

  @Test
  void conditionAndEventMessagesAreEscapedAndCapped() {
    var condition = ConditionSpec.notReady("InvalidKey", "bad\nkey " + "z".repeat(2000));
    assertThat(condition.message()).doesNotContain("\n").contains("bad\\nkey");
    assertThat(condition.message().length()).isLessThan(1024 + 30);
    assertThat(ConditionSpec.ready("Uploaded", "Uploaded s3://b/k").message())
        .isEqualTo("Uploaded s3://b/k");
  }
}
