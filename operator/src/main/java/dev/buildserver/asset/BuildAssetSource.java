package dev.buildserver.asset;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.common.KeyReference;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** The one place an asset's content comes from. */
@ValidationRule(
    value =
        "[has(self.inline), has(self.base64), has(self.configMapKeyRef), has(self.secretKeyRef),"
            + " has(self.url), has(self.s3)].filter(x, x).size() == 1",
    message =
        "source must set exactly one of inline, base64, configMapKeyRef, secretKeyRef, url, s3")
public record BuildAssetSource(
    @JsonPropertyDescription("The content as UTF-8 text, written as is.") String inline,
    @JsonPropertyDescription("The content as base64-encoded bytes.") String base64,
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
}
