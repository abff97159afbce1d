package dev.buildserver.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.status.Problem;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** How S3 errors become condition reasons, and which are retried. */
class S3ErrorsTest {

  private static Problem map(int status, String code) {
    S3Exception e =
        (S3Exception)
            S3Exception.builder()
                .statusCode(status)
                .awsErrorDetails(
                    AwsErrorDetails.builder().errorCode(code).errorMessage("details").build())
                .build();
    return S3Errors.problem(e, "PutObject", "s3://b/k");
  }

  @Test
  void accessDeniedNamesThePermissionAndIsRetried() {
    Problem problem = map(403, "AccessDenied");
    assertThat(problem.reason()).isEqualTo("AccessDenied");
    assertThat(problem.getMessage())
        .contains("s3:PutObject")
        .contains("s3://b/k")
        .contains("the IAM identity in use");
    assertThat(problem.retryable()).isTrue();
  }

  @Test
  void aMissingBucketIsNotRetried() {
    Problem problem = map(404, "NoSuchBucket");
    assertThat(problem.reason()).isEqualTo("BucketNotFound");
    assertThat(problem.retryable()).isFalse();
  }

  @Test
  void outagesAndThrottlingAreRetried() {
    assertThat(map(503, "SlowDown").reason()).isEqualTo("S3Unavailable");
    assertThat(map(500, "InternalError").retryable()).isTrue();
  }

  @Test
  void otherRefusalsAreReportedAsIs() {
    Problem problem = map(400, "InvalidTag");
    assertThat(problem.reason()).isEqualTo("S3Error");
    assertThat(problem.getMessage()).contains("InvalidTag").contains("details");
    assertThat(problem.retryable()).isFalse();
  }
}
