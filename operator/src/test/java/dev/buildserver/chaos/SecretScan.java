package dev.buildserver.chaos;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The known secrets of a chaos run, and the forms they could leak in: the value itself, its SHA-256
 * and MD5 (the ETag S3 gives) in hex, and its base64. Counts where any of them appears.
 */
final class SecretScan {

  private final Map<String, String> needles = new LinkedHashMap<>();
  private final List<String> findings = new ArrayList<>();
  private int searched;

  /** Adds a secret under a name that the findings use (never the value). */
  SecretScan add(String name, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    needles.put(value, name);
    needles.put(hex("SHA-256", bytes), name + " (sha256)");
    needles.put(hex("MD5", bytes), name + " (md5)");
    needles.put(Base64.getEncoder().encodeToString(bytes), name + " (base64)");
    return this;
  }

  /** Searches one text (a log, an Event, a status) from {@code where}. */
  void search(String where, String text) {
    searched++;
    needles.forEach(
        (needle, name) -> {
          if (text.contains(needle)) {
            findings.add(name + " in " + where);
          }
        });
  }

  int searched() {
    return searched;
  }

  List<String> findings() {
    return findings;
  }

  private static String hex(String algorithm, byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
