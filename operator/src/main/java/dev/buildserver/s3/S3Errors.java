package dev.buildserver.s3;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import java.util.Locale;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Maps S3 errors to a condition reason and a message that says what to change. Pure. */
public final class S3Errors {

  private S3Errors() {}

  /** The problem behind an S3 error of {@code action} on {@code location}, as the operator. */
  public static Problem problem(S3Exception e, String action, String location) {
    return problem(e, action, location, AwsIdentity.OPERATOR);
  }

  /** The problem behind an S3 error of {@code action} on {@code location}, made as {@code who}. */
  public static Problem problem(S3Exception e, String action, String location, AwsIdentity who) {
    String code = code(e);
    String detail =
        code
            + (e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
                ? ": " + e.awsErrorDetails().errorMessage()
                : "");
    Optional<String> bucketRegion = bucketRegion(e);
    if (bucketRegion.isPresent() && (e.statusCode() == 301 || e.statusCode() == 400)) {
      return new Problem(
          Reason.WrongRegion,
          location
              + " is in region "
              + bucketRegion.get()
              + ": set "
              + Setting.REGION.mention()
              + " to "
              + bucketRegion.get(),
          false,
          e);
    }
    if ("PreconditionFailed".equals(code)
        || e.statusCode() == 412
        || "ConditionalRequestConflict".equals(code)) {
      return new Problem(
          Reason.Conflict,
          location + " changed while it was being written; looking at it again",
          true,
          e);
    }
    if ("AccessDenied".equals(code) || e.statusCode() == 403) {
      // Retried with the SDK's backoff (a permission may be being granted), then left to the
      // resync: never hot.
      return new Problem(
          Reason.AccessDenied,
          "S3 denied "
              + action
              + " on "
              + location
              + " to "
              + (who.isOperator() ? "the IAM identity in use" : who.describe())
              + " ("
              + detail
              + "): allow it "
              + permission(action),
          true,
          e);
    }
    if ("NoSuchBucket".equals(code)) {
      return new Problem(Reason.BucketNotFound, location + ": the bucket does not exist", false, e);
    }
    if ("InvalidBucketName".equals(code)) {
      return new Problem(
          Reason.InvalidBucketName, location + ": S3 refuses the bucket name", false, e);
    }
    if (e.statusCode() >= 500
        || e.statusCode() == 429
        || "SlowDown".equals(code)
        || e.isThrottlingException()) {
      return new Problem(
          Reason.S3Unavailable,
          "S3 failed " + action + " on " + location + " (" + detail + "); retrying",
          true,
          e);
    }
    return new Problem(
        Reason.S3Error, "S3 refused " + action + " on " + location + " (" + detail + ")", false, e);
  }

  /** The IAM permission an S3 call needs. */
  static String permission(String action) {
    return switch (action) {
      case "HeadObject", "GetObject" ->
          "s3:GetObject (and s3:ListBucket: without it S3 answers 403 for a missing key)";
      case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload" ->
          "s3:PutObject (and s3:PutObjectTagging when the object has tags)";
      case "CopyObject" ->
          "s3:GetObject on the source and s3:PutObject (and s3:PutObjectTagging) on the target";
      case "DeleteObject" -> "s3:DeleteObject";
      case "ListObjectsV2" -> "s3:ListBucket";
      case "ListMultipartUploads" ->
          "s3:ListBucketMultipartUploads (and s3:AbortMultipartUpload), to clean up the parts of"
              + " an upload that was cut short";
      case "CreateBucket" -> "s3:CreateBucket";
      default -> "the S3 permission behind " + action;
    };
  }

  /**
   * S3 could not be reached, or its answer could not be used: retried. A checksum failure is named
   * without the SDK's text, which quotes the checksums (digests of the content, perhaps a
   * Secret's).
   */
  public static Problem unreachable(SdkClientException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      // The certificate itself is refused (not a handshake cut short by a restart, say).
      if (cause instanceof java.security.cert.CertPathBuilderException
          || cause instanceof java.security.cert.CertPathValidatorException
          || cause instanceof java.security.cert.CertificateException) {
        // Not transient: the store's certificate stays untrusted until the setting changes.
        return new Problem(
            Reason.UntrustedCertificate,
            "S3's TLS certificate is not trusted ("
                + cause.getMessage()
                + "): if the store's certificate comes from a private CA, point"
                + " buildserver.aws.ca-bundle (or AWS_CA_BUNDLE) at that CA's PEM file",
            false,
            e);
      }
    }
    String message = String.valueOf(e.getMessage());
    String why =
        message.toLowerCase(Locale.ROOT).contains("checksum")
            ? "a checksum of the transfer did not match"
            : message;
    return new Problem(Reason.S3Unreachable, "cannot reach S3: " + why + "; retrying", true, e);
  }

  /** The error code, or "HTTP <status>" without one. */
  static String code(S3Exception e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    return code == null || code.isBlank() ? "HTTP " + e.statusCode() : code;
  }

  private static Optional<String> bucketRegion(S3Exception e) {
    return e.awsErrorDetails() == null || e.awsErrorDetails().sdkHttpResponse() == null
        ? Optional.empty()
        : e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region");
  }
}
