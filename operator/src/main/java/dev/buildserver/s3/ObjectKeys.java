package dev.buildserver.s3;

import dev.buildserver.status.Echo;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The one check of a bucket name and object key that something is about to write, made before any
 * call to S3 by every entry point: a BuildAsset, a BalanceReport's output, the CLI and the HTTP
 * API.
 */
public final class ObjectKeys {

  /** S3's longest key, in bytes of UTF-8. */
  public static final int MAX_KEY_BYTES = 1024;

  /** A bucket name S3 accepts, as a CRD pattern (the dots rule aside). */
  public static final String BUCKET_PATTERN = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

  /**
   * A CEL rule that refuses a control character in {@code self.key}, for the CRDs: the RE2 class
   * {@code [\x00-\x1f\x7f-\x9f]} (C0, DEL and C1) inside a CEL string, which halves its
   * backslashes.
   */
  public static final String KEY_WITHOUT_CONTROL_CHARACTERS =
      "!self.key.matches('[\\\\x00-\\\\x1f\\\\x7f-\\\\x9f]')";

  /** The API server's refusal of a key with a control character. */
  public static final String CONTROL_CHARACTER_REFUSAL =
      "key must not contain control characters (U+0000-U+001F, U+007F-U+009F)";

  private static final Pattern BUCKET = Pattern.compile(BUCKET_PATTERN);

  private ObjectKeys() {}

  /**
   * Refuses a bucket name S3 would refuse, and an empty, oversized or path-traversing key or one
   * with a control character.
   */
  public static void check(String bucket, String key) {
    if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new Problem(
          Reason.InvalidBucketName,
          "bucket '"
              + Echo.value(bucket == null ? "" : bucket)
              + "' is not a valid S3 bucket name: use 3-63 lowercase letters, digits, dots and hyphens",
          false);
    }
    if (key == null || key.isEmpty()) {
      throw new Problem(
          Reason.InvalidKey,
          "the object key is empty: set a key such as releases/app.tar.gz",
          false);
    }
    int control = firstControl(key);
    if (control >= 0) {
      // Logs, terminals and listings would show such a key as something else, or run it.
      int position = key.codePointCount(0, control) + 1;
      throw new Problem(
          Reason.InvalidKey,
          String.format(
              "the object key '%s' has a control character (U+%04X) at character %d: name the"
                  + " object without control characters (U+0000-U+001F, U+007F-U+009F)",
              Echo.value(key), (int) key.charAt(control), position),
          false);
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw new Problem(
          Reason.InvalidKey,
          "the object key is longer than S3's " + MAX_KEY_BYTES + " bytes",
          false);
    }
    if (Arrays.stream(key.split("/", -1)).anyMatch(s -> s.equals(".") || s.equals(".."))) {
      // S3 keeps such a key as is, but tools that copy a bucket to disk resolve it elsewhere.
      throw new Problem(
          Reason.InvalidKey,
          "the object key '"
              + Echo.value(key)
              + "' has a '.' or '..' segment, which tools that sync to disk resolve outside its"
              + " prefix: name the object without them",
          false);
    }
  }

  /** Whether {@link #check} passes. */
  public static boolean valid(String bucket, String key) {
    try {
      check(bucket, key);
      return true;
    } catch (Problem refused) {
      return false;
    }
  }

  /** The index of the first control character in {@code key}, or -1. */
  private static int firstControl(String key) {
    for (int i = 0; i < key.length(); i++) {
      if (Echo.isControl(key.charAt(i))) {
        return i;
      }
    }
    return -1;
  }
}
