package dev.buildserver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.testing.LogCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokenTest {

  @TempDir Path dir;

  @Test
  void aConfiguredTokenIsAcceptedAndNeverWritten() {
    Path file = dir.resolve("api-token");
    ApiToken token = new ApiToken("configured-token", file);
    token.onApplicationEvent(null);

    assertThat(token.accepts("configured-token")).isTrue();
    assertThat(token.accepts("configured-tokenx")).isFalse();
    assertThat(token.file()).isEmpty();
    assertThat(file).doesNotExist();
  }

  @Test
  void withoutAConfiguredTokenARandomOneIsWrittenToAFileOnlyTheUserCanRead() throws IOException {
    Path file = dir.resolve("runtime").resolve("buildserver").resolve("api-token");
    ApiToken token = new ApiToken(null, file);
    try (LogCapture log = LogCapture.attach()) {
      token.onApplicationEvent(null);

      String written = Files.readString(file, StandardCharsets.US_ASCII).strip();
      assertThat(written).matches("[0-9a-f]{64}");
      assertThat(token.accepts(written)).isTrue();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
          .isEqualTo("rwx------");
      assertThat(log.text()).contains(file.toString()).doesNotContain(written);
    }
  }

  @Test
  void everyStartMakesADifferentToken() throws IOException {
    Path file = dir.resolve("api-token");
    new ApiToken("", file).write(file);
    String first = Files.readString(file);
    new ApiToken("  ", file).write(file);
    assertThat(Files.readString(file)).isNotEqualTo(first);
  }

  @Test
  void aStaleFileIsReplacedWholeAndNothingStagedIsLeft() throws IOException {
    Path file = dir.resolve("api-token");
    Files.writeString(file, "stale");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    new ApiToken(null, file).write(file);

    assertThat(Files.readString(file)).isNotEqualTo("stale");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    try (Stream<Path> entries = Files.list(dir)) {
      assertThat(entries).containsExactly(file);
    }
  }

  @Test
  void aDirectoryOthersMayWriteIntoIsRefusedAndTheOperatorStillStarts() throws IOException {
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path file = shared.resolve("api-token");
    ApiToken token = new ApiToken(null, file);

    assertThatThrownBy(() -> token.write(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not yours alone")
        .hasMessageContaining("buildserver.api.token-file");
    try (LogCapture log = LogCapture.attach()) {
      token.onApplicationEvent(null);
      assertThat(log.text()).contains("Could not write the HTTP API token to " + file);
    }
    try (Stream<Path> entries = Files.list(shared)) {
      assertThat(entries).isEmpty();
    }
  }

  @Test
  void theDefaultFileIsInTheUsersRuntimeDirectoryElseInTmp() {
    assertThat(ApiToken.defaultFile("/run/user/1000", "/tmp", "alice"))
        .isEqualTo(Path.of("/run/user/1000/buildserver/api-token"));
    assertThat(ApiToken.defaultFile(null, "/tmp", "alice"))
        .isEqualTo(Path.of("/tmp/buildserver-alice/api-token"));
    assertThat(ApiToken.defaultFile("relative/dir", "/tmp", "alice"))
        .isEqualTo(Path.of("/tmp/buildserver-alice/api-token"));
    assertThat(ApiToken.defaultFile("", "/tmp", "../a b?"))
        .isEqualTo(Path.of("/tmp/buildserver-.._a_b_/api-token"));
  }
}
