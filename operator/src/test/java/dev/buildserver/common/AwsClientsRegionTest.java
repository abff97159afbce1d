package dev.buildserver.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.util.Map;
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
      assertThat(sdkRegionCache()).doesNotContainKey(unknown);
      assertThat(aws.s3("eu-west-1")).isNotNull();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> sdkRegionCache() throws Exception {
    Class<?> cache = Class.forName("software.amazon.awssdk.regions.Region$RegionCache");
    Field values = cache.getDeclaredField("VALUES");
    values.setAccessible(true);
    return (Map<String, ?>) values.get(null);
  }
}
