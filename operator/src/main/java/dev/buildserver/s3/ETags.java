package dev.buildserver.s3;

/** ETags as S3 sends them (quoted) and as the operator records them (bare). */
final class ETags {

  private ETags() {}

  static String quote(String etag) {
    return etag == null ? null : "\"" + unquote(etag) + "\"";
  }

  static String unquote(String etag) {
    return etag == null ? null : etag.replace("\"", "");
  }
}
