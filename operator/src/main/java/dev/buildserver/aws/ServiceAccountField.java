package dev.buildserver.aws;

/**
 * The {@code spec.serviceAccountName} field every kind has, described once: its CRD pattern and
 * description (annotation values must be constants).
 */
public final class ServiceAccountField {

  /** A ServiceAccount name: a DNS-1123 subdomain. */
  public static final String PATTERN = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";

  public static final String DESCRIPTION =
      "ServiceAccount of this namespace whose IAM role (annotation eks.amazonaws.com/role-arn)"
          + " every AWS call for this resource is made as. Without it: the operator's default"
          + " ServiceAccount when one is configured, else the operator's own identity.";

  private ServiceAccountField() {}
}
