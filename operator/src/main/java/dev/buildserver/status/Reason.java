package dev.buildserver.status;

/**
 * Every reason a resource can fail to reach its desired state, as its condition (and Event) shows
 * it. Whether a failure is the user's to fix or transient (retried with backoff) is the {@link
 * Problem}'s; the reason says what happened.
 */
public enum Reason {
  // The spec or the data it points at: the user fixes these.
  InvalidSource,
  InvalidBucketName,
  InvalidKey,
  InvalidMetadata,
  InvalidRegion,
  InvalidUrl,
  InvalidLimit,
  InvalidToken,
  InsecureToken,
  SourceNotFound,
  SecretNotFound,
  SourceTooLarge,
  SourceUnreadable,
  ChecksumMismatch,
  BucketNotFound,
  NotFound,
  WrongRegion,
  TooLarge,
  UrlRefused,
  UrlFailed,
  MalformedPage,
  InconsistentLedger,
  LedgerTooLarge,
  LedgerUnauthorized,
  LedgerFailed,
  S3Error,
  Ec2Error,
  LaunchTemplateNotFound,
  InstanceNotFound,
  /** No usable AWS identity: the ServiceAccount or its role annotation is missing. */
  IdentityNotFound,
  /**
   * buildserver.aws.ca-bundle (or AWS_CA_BUNDLE) is missing, unreadable or holds no certificate.
   */
  InvalidCaBundle,
  /**
   * The store cannot delete only what was read (no conditional delete) and {@code
   * buildserver.s3.unsafe-deletes} is {@code refuse}: the object is kept.
   */
  UnsafeDeleteRefused,
  /** The store's TLS certificate is not trusted: its CA belongs in buildserver.aws.ca-bundle. */
  UntrustedCertificate,
  // Permissions: the user fixes them, and they are retried meanwhile.
  AccessDenied,
  // Outages and throttling: transient.
  Conflict,
  Throttled,
  S3Unavailable,
  S3Unreachable,
  Ec2Unavailable,
  Ec2Unreachable,
  UrlUnreachable,
  LedgerUnavailable,
  LedgerUnreachable,
  UploadFailed,
  /** The token or the role's credentials could not be had for now (the API server, STS). */
  IdentityUnavailable,
  Interrupted,
  ReconcileError
}
