package dev.buildserver.ledger;

import dev.buildserver.common.KeyReference;
import dev.buildserver.common.Problem;

/**
 * Checks a bearer token read from a Secret before it is sent. A token is visible ASCII (RFC 6750);
 * anything else (a line break inside, a PEM block, a character above U+007E) is refused with a
 * message that names the Secret and key, never the value.
 */
final class BearerToken {

  private BearerToken() {}

  /** The token, without surrounding whitespace (a trailing newline is common in Secrets). */
  static String check(String value, KeyReference ref) {
    String token = value.strip();
    String where = "Secret " + ref.name() + " key " + ref.key();
    if (token.isEmpty()) {
      throw new Problem(
          "InvalidToken", where + " is empty: store the ledger's bearer token there", false);
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new Problem(
            "InvalidToken",
            where
                + " does not hold a usable bearer token: it contains a line break, a space or a"
                + " character outside printable ASCII; store the token alone (its value is never"
                + " shown)",
            false);
      }
    }
    return token;
  }
}
