package dev.buildserver.asset;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.status.ResourceStatus;

/** What the operator last wrote to S3 for a BuildAsset. The content itself is never copied here. */
public class BuildAssetStatus extends ResourceStatus {

  @JsonPropertyDescription("Where the object is, as s3://bucket/key.")
  private String location;

  @JsonPropertyDescription("ETag S3 returned for the object.")
  private String etag;

  @JsonPropertyDescription("Version id of the object, when the bucket is versioned.")
  private String versionId;

  @JsonPropertyDescription("Size of the object in bytes.")
  private Long size;

  @JsonPropertyDescription("SHA-256 of the content, 64 lowercase hex digits.")
  private String sha256;

  @JsonPropertyDescription("Content-Type stored with the object.")
  private String contentType;

  @JsonPropertyDescription("When the object was last written (RFC 3339).")
  private String uploadedAt;

  @JsonPropertyDescription(
      "The multipart upload the operator began for this object and has not finished yet. Should"
          + " the operator die midway, its successor aborts exactly this upload (S3 keeps and bills"
          + " the parts of an unfinished upload); uploads of other writers to the same key are left"
          + " alone.")
  private String uploadId;

  public String getLocation() {
    return location;
  }

  public void setLocation(String location) {
    this.location = location;
  }

  public String getEtag() {
    return etag;
  }

  public void setEtag(String etag) {
    this.etag = etag;
  }

  public String getVersionId() {
    return versionId;
  }

  public void setVersionId(String versionId) {
    this.versionId = versionId;
  }

  public Long getSize() {
    return size;
  }

  public void setSize(Long size) {
    this.size = size;
  }

  public String getSha256() {
    return sha256;
  }

  public void setSha256(String sha256) {
    this.sha256 = sha256;
  }

  public String getContentType() {
    return contentType;
  }

  public void setContentType(String contentType) {
    this.contentType = contentType;
  }

  public String getUploadedAt() {
    return uploadedAt;
  }

  public void setUploadedAt(String uploadedAt) {
    this.uploadedAt = uploadedAt;
  }

  public String getUploadId() {
    return uploadId;
  }

  public void setUploadId(String uploadId) {
    this.uploadId = uploadId;
  }
}
