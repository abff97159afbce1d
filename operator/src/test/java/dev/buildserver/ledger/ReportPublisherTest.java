package dev.buildserver.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportPublisherTest {

  @Test
  void refusesAnOutputKeyWithAControlCharacterNamingTheFieldAndThePosition() {
    BalanceReportSpec spec = spec(Map.of("bucket", "reports", "key", "daily\u001b[2J.json"));
    assertThatThrownBy(() -> ReportPublisher.checkTarget(spec))
        .isInstanceOf(Problem.class)
        .hasMessageStartingWith("spec.output.s3: the object key 'daily\\u001b[2J.json'")
        .hasMessageContaining("(U+001B) at character 6")
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("InvalidKey"))
        .satisfies(e -> assertThat(((Problem) e).retryable()).isFalse());
    assertThat(ReportPublisher.validTarget(spec)).as("nothing was written there").isFalse();
  }

  @Test
  void refusesAnOutputBucketS3WouldRefuse() {
    assertThatThrownBy(
            () -> ReportPublisher.checkTarget(spec(Map.of("bucket", "Bad_Bucket", "key", "r"))))
        .hasMessageContaining("not a valid S3 bucket name")
        .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("InvalidBucketName"));
  }

  @Test
  void passesAnOrdinaryOutputAndAReportWithoutOne() {
    BalanceReportSpec ordinary = spec(Map.of("bucket", "reports", "key", "2014/daily.json"));
    assertThatCode(() -> ReportPublisher.checkTarget(ordinary)).doesNotThrowAnyException();
    assertThat(ReportPublisher.validTarget(ordinary)).isTrue();
    BalanceReportSpec none =
        Serialization.jsonMapper()
            .convertValue(
                Map.of("ledger", Map.of("url", "http://ledger/{page}.json")),
                BalanceReportSpec.class);
    assertThatCode(() -> ReportPublisher.checkTarget(none)).doesNotThrowAnyException();
    assertThat(ReportPublisher.validTarget(none)).isFalse();
  }

  private static BalanceReportSpec spec(Map<String, Object> s3) {
    return Serialization.jsonMapper()
        .convertValue(
            Map.of(
                "ledger", Map.of("url", "http://ledger/{page}.json"), "output", Map.of("s3", s3)),
            BalanceReportSpec.class);
  }
}
