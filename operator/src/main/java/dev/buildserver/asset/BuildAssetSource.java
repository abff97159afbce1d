package dev.buildserver.asset;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.common.KeyReference;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The one place an asset's content comes from. */
@ValidationRule(
    value =
        "[has(self.inline), has(self.base64), has(self.configMapKeyRef), has(self.secretKeyRef),"
            + " has(self.url), has(self.s3)].filter(x, x).size() == 1",
    message =
        "source must set exactly one of inline, base64, configMapKeyRef, secretKeyRef, url, s3")
@ValidationRule(
    value = "!has(self.inline) || size(self.inline) <= " + BuildAssetSource.MAX_INLINE,
    fieldPath = ".inline",
    message = BuildAssetSource.INLINE_TOO_LONG)
@ValidationRule(
    value = "!has(self.base64) || size(self.base64) <= " + BuildAssetSource.MAX_BASE64,
    fieldPath = ".base64",
    message = BuildAssetSource.BASE64_TOO_LONG)
public record BuildAssetSource(
    @Size(max = BuildAssetSource.HARD_MAX)
        @JsonPropertyDescription(
            "The content as UTF-8 text, written as is: at most 262144 characters. Larger content"
                + " goes in a ConfigMap, a Secret or behind a url.")
        String inline,
    @Size(max = BuildAssetSource.HARD_MAX)
        @JsonPropertyDescription(
            "The content as base64-encoded bytes: at most 349528 characters (256 KiB decoded)."
                + " Larger content goes in a ConfigMap, a Secret or behind a url.")
        String base64,
    @JsonPropertyDescription("Take the content from a key of a ConfigMap in this namespace.")
        KeyReference configMapKeyRef,
    @JsonPropertyDescription("Take the content from a key of a Secret in this namespace.")
        KeyReference secretKeyRef,
    @Pattern("^https?://.+")
        @JsonPropertyDescription(
            "Download the content from this http(s) URL. It is streamed to S3, never held in memory"
                + " whole; link-local addresses are refused.")
        String url,
    @JsonPropertyDescription("Copy an existing S3 object server-side.") S3ObjectSource s3) {

  /** An S3 object to copy from. */
  public record S3ObjectSource(
      @Required @JsonPropertyDescription("Bucket of the object to copy.") String bucket,
      @Required @JsonPropertyDescription("Key of the object to copy.") String key,
      @JsonPropertyDescription("A specific version to copy; the latest when empty.")
          String versionId) {}

  /*
   * Why these limits. Every spec is stored whole in etcd, whose default request limit is 1.5 MiB,
   * and held whole in every operator's informer cache. A character can take 4 bytes of UTF-8 in
   * the JSON the API server stores, so 262144 characters (the API server and CEL count code points)
   * are at most 1 MiB there, leaving half a MiB for the rest of the object. On the heap, a cached
   * string with any character above U+00FF takes 2 bytes a character (4 for one above U+FFFF): 512
   * KiB an asset, so 40 of them at the limit fit the chart's 160 MiB heap with room to reconcile
   * (InlineMemoryE2ETest). base64 gets the same budget decoded: 4 * ceil(262144 / 3) = 349528
   * characters, line breaks included. Larger content belongs in a ConfigMap or Secret, which are
   * read when a reconcile needs them and never cached whole, or behind a url, which is streamed.
   */

  /** The most characters (code points) of {@code inline}. */
  public static final int MAX_INLINE = 262_144;

  /** The most characters of {@code base64}: the base64 length of 256 KiB. */
  public static final int MAX_BASE64 = 349_528;

  /**
   * The schema's hard maxLength: nothing longer fits etcd's 1.5 MiB request. It sits above the
   * limits so that, for any spec the API server could store, the refusal is the CEL rule's, whose
   * message names the alternatives (a failed maxLength skips the CEL rules).
   */
  public static final int HARD_MAX = 1_572_864;

  static final String ALTERNATIVES =
      ": put larger content in a ConfigMap (source.configMapKeyRef), a Secret"
          + " (source.secretKeyRef) or behind a url (source.url)";

  /** Refusal of an inline source over its limit, from the API server and the operator alike. */
  public static final String INLINE_TOO_LONG =
      "source.inline holds at most " + MAX_INLINE + " characters" + ALTERNATIVES;

  /** Refusal of a base64 source over its limit, from the API server and the operator alike. */
  public static final String BASE64_TOO_LONG =
      "source.base64 holds at most " + MAX_BASE64 + " characters (256 KiB decoded)" + ALTERNATIVES;
}
