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
            "The content as UTF-8 text, written as is: at most 65536 characters. Larger content"
                + " goes in a ConfigMap, a Secret or behind a url.")
        String inline,
    @Size(max = BuildAssetSource.HARD_MAX)
        @JsonPropertyDescription(
            "The content as base64-encoded bytes: at most 87384 characters (64 KiB decoded)."
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
   * Why these limits, measured. Every spec is stored whole in etcd (default request limit 1.5 MiB)
   * and held whole in every operator's informer cache. At 262144 characters (1 MiB of UTF-8 at
   * most), 40 assets of text above U+00FF created at once took the chart's 160 MiB heap to 152-154
   * MiB and made readiness drop for a second while the API server closed the operator's watch as a
   * slow reader (InlineMemoryE2ETest): too close to the edge for a limit any tenant may use 40
   * times. At 65536 characters: at most 256 KiB of UTF-8 in etcd, which also fits the 256 KiB
   * annotation of a client-side kubectl apply for ASCII text, and 128 KiB of heap an asset (2 bytes
   * a character above U+00FF), 5 MiB for 40. base64 gets the same budget decoded: 4 * ceil(65536 /
   * 3) = 87384 characters. Larger content belongs in a ConfigMap or Secret, which are read when a
   * reconcile needs them and never cached whole, or behind a url, which is streamed.
   */

  /** The most characters (code points) of {@code inline}. */
  public static final int MAX_INLINE = 65_536;

  /** The most characters of {@code base64}: the base64 length of 64 KiB. */
  public static final int MAX_BASE64 = 87_384;

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
      "source.base64 holds at most " + MAX_BASE64 + " characters (64 KiB decoded)" + ALTERNATIVES;
}
