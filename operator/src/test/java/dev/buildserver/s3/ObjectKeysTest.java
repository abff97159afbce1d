package dev.buildserver.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

  @Test
  void acceptsOrdinaryBucketsAndKeys() {
    assertThatCode(() -> ObjectKeys.check("good.bucket-1", "releases/app.tar.gz"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                ObjectKeys.check(
                    "good-bucket", "dossier/\u00e9 \u00fc \u65e5\u672c/\ud83d\ude00.txt"))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesBucketNamesS3WouldRefuse() {
    for (String bucket : new String[] {"UPPER", "a", "under_score", "-start", "double..dot"}) {
      assertThatThrownBy(() -> ObjectKeys.check(bucket, "k"))
          .isInstanceOf(Problem.class)
          .hasMessageContaining("not a valid S3 bucket name")
          .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("InvalidBucketName"));
    }
    assertThatThrownBy(() -> ObjectKeys.check(null, "k")).hasMessageContaining("bucket ''");
  }

  @Test
  void refusesEmptyOversizedAndPathTraversingKeys() {
    assertThatThrownBy(() -> ObjectKeys.check("good-bucket", ""))
        .hasMessageContaining("key is empty");
    assertThatThrownBy(() -> ObjectKeys.check("good-bucket", "\u00e9".repeat(513)))
        .hasMessageContaining("longer than S3's 1024 bytes");
    assertThatThrownBy(() -> ObjectKeys.check("good-bucket", "a/../b"))
        .hasMessageContaining("'..' segment");
  }

  @Test
  void refusesEveryControlCharacterNamingItsPosition() {
    for (char c : new char[] {0x00, '\n', '\r', 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0x9f}) {
      String key = "logs/" + c + "x";
      assertThatThrownBy(() -> ObjectKeys.check("good-bucket", key))
          .isInstanceOf(Problem.class)
          .hasMessageContaining(String.format("(U+%04X) at character 6", (int) c))
          .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("InvalidKey"))
          .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
    }
  }

  @Test
  void countsThePositionInCharactersNotUtf16Units() {
    assertThatThrownBy(() -> ObjectKeys.check("good-bucket", "\ud83d\ude00\u001bx"))
        .hasMessageContaining("at character 2");
  }

  @Test
  void neverPrintsTheRawKeyOnlyAnEscapedAndCutOne() {
    String key = "a\nFORGED log line\u001b[2J" + "x".repeat(5000);
    assertThatThrownBy(() -> ObjectKeys.check("good-bucket", key))
        .satisfies(
            e -> {
              String message = e.getMessage();
              assertThat(message).doesNotContain("\n").doesNotContain("\u001b");
              assertThat(message).contains("a\\nFORGED log line\\u001b[2J");
              assertThat(message).contains("\u2026(cut, " + key.length() + " chars)");
              assertThat(message.length()).isLessThan(400);
            });
  }

  @Test
  void allowsCharactersAboveTheControlRanges() {
    assertThat(ObjectKeys.valid("good-bucket", "price \u00a0100")).isTrue(); // U+00A0 NBSP
    assertThat(ObjectKeys.valid("good-bucket", "tab\there")).isFalse();
  }
}
