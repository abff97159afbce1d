package dev.buildserver.api;

import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token of the HTTP API; there always is one. It is {@code buildserver.api.token} when
 * that is set, and is then never written anywhere. Otherwise it is 32 random bytes (hex) made at
 * start and written, when the HTTP server starts, to {@code buildserver.api.token-file}: a file
 * only the user can read (0600, in a directory that is theirs alone). The token is never logged.
 */
@Singleton
public class ApiToken implements ApplicationEventListener<ServerStartupEvent> {

  private static final Logger LOG = LoggerFactory.getLogger(ApiToken.class);
  private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");

  private final String token;
  private final Optional<Path> file;

  @Inject
  public ApiToken(ApiSettings settings) {
    this(
        settings.getToken().orElse(null),
        settings
            .getTokenFile()
            .map(Path::of)
            .orElseGet(
                () ->
                    defaultFile(
                        System.getenv("XDG_RUNTIME_DIR"),
                        System.getProperty("java.io.tmpdir"),
                        System.getProperty("user.name"))));
  }

  /** The configured token, or (when null) a new random one that belongs in {@code file}. */
  ApiToken(@Nullable String configured, Path file) {
    if (configured != null && !configured.isBlank()) {
      this.token = configured;
      this.file = Optional.empty();
    } else {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      this.token = HexFormat.of().formatHex(random);
      this.file = Optional.of(file.toAbsolutePath());
    }
  }

  /**
   * {@code $XDG_RUNTIME_DIR/buildserver/api-token} (a directory of the user's own, on a tmpfs),
   * else {@code <tmpdir>/buildserver-<user>/api-token}.
   */
  static Path defaultFile(@Nullable String runtimeDir, String tmpDir, @Nullable String user) {
    if (runtimeDir != null && !runtimeDir.isBlank() && Path.of(runtimeDir).isAbsolute()) {
      return Path.of(runtimeDir, "buildserver", "api-token");
    }
    String name = user == null || user.isBlank() ? "user" : user;
    return Path.of(tmpDir, "buildserver-" + name.replaceAll("[^A-Za-z0-9._-]", "_"), "api-token");
  }

  /** Whether a presented token is this one (in constant time for tokens of its length). */
  public boolean accepts(String presented) {
    return MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  /** Where a token made at start is written; empty when the token was configured. */
  public Optional<Path> file() {
    return file;
  }

  /**
   * Writes a token made at start to its file once the HTTP server listens. A CLI run never starts
   * the server, so it never makes or writes a token.
   */
  @Override
  public void onApplicationEvent(ServerStartupEvent event) {
    file.ifPresent(this::writeTo);
  }

  private void writeTo(Path target) {
    try {
      write(target);
      LOG.info(
          "No buildserver.api.token is set: the HTTP API token made at start is in {} (readable"
              + " only by you); send it as Authorization: Bearer <token>",
          target);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn(
          "Could not write the HTTP API token to {} ({}): every /buildserver/ call is refused until"
              + " buildserver.api.token, or a buildserver.api.token-file in a directory of your"
              + " own, is set",
          target,
          e instanceof FileSystemException
              ? e.getClass().getSimpleName() + " " + e.getMessage()
              : e.getMessage());
    }
  }

  /**
   * Stages the token in a new file created 0600 next to the target and renames it into place, so
   * that the file is never readable by others, nor ever half written. The directory is created 0700
   * when missing; an existing one must be the user's and writable by no one else.
   */
  void write(Path target) throws IOException {
    Path directory = target.getParent();
    if (!Files.isDirectory(directory)) {
      Files.createDirectories(
          directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
      Files.setPosixFilePermissions(directory, OWNER_ONLY_DIRECTORY);
    }
    Path staged =
        Files.createTempFile(
            directory,
            ".api-token-",
            ".tmp",
            PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    try {
      checkPrivate(directory, Files.getOwner(staged));
      Files.writeString(staged, token + "\n", StandardCharsets.US_ASCII);
      Files.move(
          staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(staged);
    }
  }

  /** Refuses a directory that someone else owns (or planted as a link) or may write into. */
  private static void checkPrivate(Path directory, UserPrincipal me) throws IOException {
    PosixFileAttributes attributes = Files.readAttributes(directory, PosixFileAttributes.class);
    UserPrincipal linkOwner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> permissions = attributes.permissions();
    if (!attributes.owner().equals(me)
        || !linkOwner.equals(me)
        || permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException(
          "the directory "
              + directory
              + " is not yours alone (owner "
              + attributes.owner().getName()
              + ", "
              + PosixFilePermissions.toString(permissions)
              + "): remove it, or set buildserver.api.token-file to a path in a directory only you"
              + " can write");
    }
  }
}
