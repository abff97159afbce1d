package dev.buildserver.ledger;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.buildserver.aws.ServiceAccountField;
import dev.buildserver.common.KeyReference;
import dev.buildserver.s3.ObjectKeys;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Which ledger to read and how to report it. */
@ValidationRule(
    value = "!has(self.refreshInterval) || duration(self.refreshInterval) >= duration('1s')",
    fieldPath = ".refreshInterval",
    message = "refreshInterval must be at least 1s (e.g. 15m): a ledger is not re-read more often")
public record BalanceReportSpec(
    @Required @JsonPropertyDescription("The ledger API to read.") LedgerSource ledger,
    @Pattern("^([0-9]+(ms|s|m|h))+$")
        @JsonPropertyDescription(
            "Re-read the ledger this often (e.g. 15m, 1h). Without it the report is computed once per"
                + " spec change.")
        String refreshInterval,
    @Default("false")
        @JsonPropertyDescription(
            "Also report days without transactions, carrying the previous balance. Default false.")
        Boolean includeEmptyDays,
    @Default("false")
        @JsonPropertyDescription(
            "Count identical transactions (same Date, Ledger, Amount and Company) once. Default false.")
        Boolean deduplicate,
    @JsonPropertyDescription("Where to write the full report.") ReportOutput output,
    @Pattern(ServiceAccountField.PATTERN)
        @Size(max = 253)
        @JsonPropertyDescription(ServiceAccountField.DESCRIPTION)
        String serviceAccountName) {

  /** A paginated ledger API. */
  @ValidationRule(
      value = "self.url.contains('{page}')",
      fieldPath = ".url",
      message =
          "ledger.url must contain the {page} placeholder, e.g."
              + " http://ledger/transactions/{page}.json")
  public record LedgerSource(
      @Required
          @Pattern("^https?://.+")
          @JsonPropertyDescription(
              "Page URL template with a {page} placeholder, e.g."
                  + " http://ledger/transactions/{page}.json. Pages 1, 2, ... are read until one answers"
                  + " 404.")
          String url,
      @JsonPropertyDescription("Secret key holding a bearer token sent with every page request.")
          KeyReference authSecretRef) {}

  /** Destinations of the full report. */
  public record ReportOutput(
      @JsonPropertyDescription("Write the full report as JSON to this S3 object.") S3Output s3) {}

  /** An S3 object to write, its bucket and key checked as a BuildAsset's are. */
  @ValidationRule(
      value = ObjectKeys.KEY_WITHOUT_CONTROL_CHARACTERS,
      fieldPath = ".key",
      message = ObjectKeys.CONTROL_CHARACTER_REFUSAL)
  public record S3Output(
      @Required
          @Pattern(ObjectKeys.BUCKET_PATTERN)
          @JsonPropertyDescription(
              "Bucket of the report object: 3-63 lowercase letters, digits, dots and hyphens.")
          String bucket,
      @Required
          @Size(min = 1, max = ObjectKeys.MAX_KEY_BYTES)
          @JsonPropertyDescription("Key of the report object, without control characters.")
          String key,
      @Default("false")
          @JsonPropertyDescription(
              "Replace an object at bucket/key that this report did not write. Default false: such"
                  + " an object is left alone and the report is not Ready (Conflict).")
          Boolean overwrite) {}
}
