package dev.buildserver.aws;

/**
 * Whose AWS identity calls are made as: the operator's own (its default credential chain), or the
 * IAM role of a ServiceAccount, named by its {@value WorkloadIdentities#ROLE_ANNOTATION}
 * annotation. A name, never a credential: {@link AwsClients} turns it into clients.
 */
public record AwsIdentity(String namespace, String serviceAccount, String roleArn) {

  /** The operator's own identity. */
  public static final AwsIdentity OPERATOR = new AwsIdentity(null, null, null);

  public boolean isOperator() {
    return roleArn == null;
  }

  /** Who the calls were made as, for messages: never a credential. */
  public String describe() {
    return isOperator()
        ? "the operator's own IAM identity"
        : "role " + roleArn + " (ServiceAccount " + namespace + "/" + serviceAccount + ")";
  }
}
