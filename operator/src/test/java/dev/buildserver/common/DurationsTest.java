package dev.buildserver.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parsesGoStyleDurations() {
    assertThat(Durations.parse("90s")).contains(Duration.ofSeconds(90));
    assertThat(Durations.parse("1h30m")).contains(Duration.ofMinutes(90));
    assertThat(Durations.parse("250ms")).contains(Duration.ofMillis(250));
    assertThat(Durations.parse(null)).isEmpty();
    assertThat(Durations.parse(" ")).isEmpty();
  }

  @Test
  void refusesAnythingElse() {
    for (String bad : new String[] {"5", "5 m", "m5", "1d", "1h x"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).hasMessageContaining("is not a duration");
    }
  }
}
