package dev.buildserver.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.status.Problem;
import dev.buildserver.testing.SdkRegions;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Region names from users are checked before the AWS SDK sees (and caches) them. */
class AwsClientsRegionTest {

  @Test
  void refusesUnknownRegionsWithoutCachingThem() throws Exception {
    AwsSettings settings = new AwsSettings();
    settings.setRegion("us-east-1");
    try (AwsClients aws = new AwsClients(settings)) {
      // Shaped like a region name, but not one: it must not reach Region.of either.
      String unknown = "zz-" + UUID.randomUUID().toString().replaceAll("[^a-z]", "") + "-1";
      assertThatThrownBy(() -> aws.s3(unknown))
          .isInstanceOf(Problem.class)
          .satisfies(e -> assertThat(((Problem) e).reason()).isEqualTo("InvalidRegion"));
      assertThat(SdkRegions.cached()).doesNotContainKey(unknown);
      assertThat(aws.s3("eu-west-1")).isNotNull();
    }
  }
}
