package dev.buildserver.ledger;

import dev.buildserver.common.KeyReference;
import dev.buildserver.common.Secrets;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Checks a bearer token read from a Secret before it is sent. A token is visible ASCII (RFC 6750);
 * anything else (a line break inside, a PEM block, a character above U+007E) is refused with a
 * message that names the Secret and key, never the value.
 */
final class BearerToken {

  private BearerToken() {}

  /** The token the Secret key holds (none without a reference), checked. */
  static Optional<String> read(KubernetesClient client, String namespace, KeyReference ref) {
    if (ref == null) {
      return Optional.empty();
    }
    Secret secret =
        Secrets.secret(client, namespace, ref.name())
            .orElseThrow(
                () ->
                    new Problem(
                        Reason.SecretNotFound,
                        "Secret "
                            + ref.name()
                            + " does not exist in this namespace: create it, or fix"
                            + " ledger.authSecretRef",
                        false));
    String value = secret.getData() == null ? null : secret.getData().get(ref.key());
    if (value == null) {
      throw new Problem(
          Reason.SecretNotFound,
          "Secret " + ref.name() + " has no key '" + ref.key() + "': fix ledger.authSecretRef.key",
          false);
    }
    return Optional.of(
        check(new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8), ref));
  }

  /** The token, without surrounding whitespace (a trailing newline is common in Secrets). */
  static String check(String value, KeyReference ref) {
    String token = value.strip();
    String where = "Secret " + ref.name() + " key " + ref.key();
    if (token.isEmpty()) {
      throw new Problem(
          Reason.InvalidToken, where + " is empty: store the ledger's bearer token there", false);
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new Problem(
            Reason.InvalidToken,
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
