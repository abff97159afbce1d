package dev.buildserver.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.s3.Fingerprint;
import dev.buildserver.s3.ObjectContent;
import dev.buildserver.s3.ObjectKeys;
import dev.buildserver.s3.ObjectOwner;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.s3.OwnershipCheck;
import dev.buildserver.status.Problem;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.Optional;

/**
 * Publishes the full report of a BalanceReport to {@code output.s3}: serialises it as JSON and
 * writes it under the ownership rules of a BuildAsset (stamped with the report's identity,
 * conditional, never over an object the report did not write unless {@code output.s3.overwrite}).
 */
final class ReportPublisher {

  /** Where the report was written, or why it was not (an object the report may not take). */
  record Output(String location, String refusal) {}

  private final OwnedObjects owned;

  ReportPublisher(OwnedObjects owned) {
    this.owned = owned;
  }

  /**
   * Refuses an output bucket or key that no write may use (one with a control character, say), as
   * for any other key: called where the spec is read, before the ledger is.
   */
  static void checkTarget(BalanceReportSpec spec) {
    var output = spec.output();
    if (output == null || output.s3() == null) {
      return;
    }
    try {
      ObjectKeys.check(output.s3().bucket(), output.s3().key());
    } catch (Problem refused) {
      throw new Problem(refused.kind(), "spec.output.s3: " + refused.getMessage(), false);
    }
  }

  /** Whether {@link #checkTarget} passes: an output that fails it was never written. */
  static boolean validTarget(BalanceReportSpec spec) {
    var output = spec.output();
    return output != null
        && output.s3() != null
        && ObjectKeys.valid(output.s3().bucket(), output.s3().key());
  }

  Output publish(BalanceReport report, ReportFormat.Summary summary, AwsIdentity identity) {
    var output = report.getSpec().output();
    if (output == null || output.s3() == null) {
      return new Output(null, null);
    }
    checkTarget(report.getSpec());
    byte[] json;
    try {
      json = Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(summary);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    var s3 = output.s3();
    String fingerprint = Fingerprint.sha256Hex(json);
    ObjectOwner owner = ObjectOwner.of(report);
    ObjectWrite write =
        new ObjectWrite(
            s3.bucket(),
            s3.key(),
            null,
            "application/json",
            owner.stamp(Map.of(), fingerprint),
            Map.of(),
            null,
            false);
    BalanceReportStatus current = report.getStatus();
    Optional<String> recorded =
        current != null && write.location().equals(current.getReportLocation())
            ? Optional.of(OwnershipCheck.ANY_ETAG)
            : Optional.empty();
    var outcome =
        owned.write(
            new OwnedObjects.Wanted(
                owner,
                write.as(identity),
                new ObjectContent.Bytes(json),
                fingerprint,
                recorded,
                Boolean.TRUE.equals(s3.overwrite())));
    if (outcome instanceof OwnedObjects.Refused refused) {
      return new Output(null, refused.message());
    }
    return new Output(write.location(), null);
  }
}
