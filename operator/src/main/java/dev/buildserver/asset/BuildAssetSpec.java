package dev.buildserver.asset;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.aws.ServiceAccountField;
import dev.buildserver.s3.ObjectKeys;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** What object to put where, and how to treat what is already there. */
@ValidationRule(
    value = "self.bucket == oldSelf.bucket",
    fieldPath = ".bucket",
    message = "bucket is immutable: create a new BuildAsset for another bucket")
@ValidationRule(
    value = "self.key == oldSelf.key",
    fieldPath = ".key",
    message = "key is immutable: create a new BuildAsset for another key")
@ValidationRule(
    value = ObjectKeys.KEY_WITHOUT_CONTROL_CHARACTERS,
    fieldPath = ".key",
    message = ObjectKeys.CONTROL_CHARACTER_REFUSAL)
public record BuildAssetSpec(
    @Required
        @Pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
        @JsonPropertyDescription(
            "The S3 bucket to write to: 3-63 lowercase letters, digits, dots and hyphens. Immutable.")
        String bucket,
    @Required
        @Size(min = 1, max = 1024)
        @JsonPropertyDescription(
            "The object key inside the bucket, e.g. releases/app-1.2.3.tar.gz. Immutable.")
        String key,
    @JsonPropertyDescription("AWS region of the bucket. Defaults to the operator's region.")
        String region,
    @Required
        @JsonPropertyDescription("Where the content comes from. Set exactly one of the fields.")
        BuildAssetSource source,
    @Pattern("^[a-f0-9]{64}$")
        @JsonPropertyDescription(
            "Expected SHA-256 of the content, as 64 lowercase hex digits. Content that does not match is"
                + " never uploaded.")
        String sha256,
    @JsonPropertyDescription("Content-Type stored with the object, e.g. application/gzip.")
        String contentType,
    @JsonPropertyDescription("User metadata stored with the object (x-amz-meta-*).")
        Map<String, String> metadata,
    @JsonPropertyDescription("S3 object tags.") Map<String, String> tags,
    @Default("false")
        @JsonPropertyDescription("Create the bucket when it does not exist. Default false.")
        Boolean createBucket,
    @Default("Delete")
        @JsonPropertyDescription(
            "What happens to the object when this resource is deleted: Delete (default) removes it if"
                + " this resource wrote it; Retain keeps it.")
        DeletionPolicy deletionPolicy,
    @Default("false")
        @JsonPropertyDescription(
            "Allow overwriting an existing object that this resource did not write. Default false:"
                + " such an object is left alone and the resource reports Conflict.")
        Boolean overwrite,
    @Pattern(ServiceAccountField.PATTERN)
        @Size(max = 253)
        @JsonPropertyDescription(ServiceAccountField.DESCRIPTION)
        String serviceAccountName) {

  /** Deletion behaviour for the object a BuildAsset owns. */
  public enum DeletionPolicy {
    Delete,
    Retain
  }
}
