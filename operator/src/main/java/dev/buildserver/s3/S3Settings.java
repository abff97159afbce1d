package dev.buildserver.s3;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.util.Locale;

/**
 * How deletes go on S3 stores that do not honour {@code If-Match} on DeleteObject, under {@code
 * buildserver.s3}: {@code unsafe-deletes: allow} (the default) deletes an owned object right after
 * reading its owner; {@code refuse} keeps the object and says why.
 */
@ConfigurationProperties("buildserver.s3")
public class S3Settings {

  /** What to do where a delete cannot be made conditional. */
  public enum UnsafeDeletes {
    ALLOW,
    REFUSE
  }

  private UnsafeDeletes unsafeDeletes = UnsafeDeletes.ALLOW;

  public UnsafeDeletes getUnsafeDeletes() {
    return unsafeDeletes;
  }

  /** {@code allow} or {@code refuse}, in any case; anything else stops the start. */
  public void setUnsafeDeletes(String value) {
    try {
      this.unsafeDeletes = UnsafeDeletes.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "buildserver.s3.unsafe-deletes '" + value + "' is not allow or refuse", e);
    }
  }

  public boolean refusesUnsafeDeletes() {
    return unsafeDeletes == UnsafeDeletes.REFUSE;
  }
}
