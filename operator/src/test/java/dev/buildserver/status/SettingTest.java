package dev.buildserver.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.status.Setting.Audience;
import org.junit.jupiter.api.Test;

class SettingTest {

  private final Problem problem =
      Problem.userError(
          Reason.BucketNotFound,
          "bucket b does not exist: create it, or set " + Setting.CREATE_BUCKET.mention());

  @Test
  void eachEntryPointNamesTheSettingItsOwnWay() {
    assertThat(problem.messageFor(Audience.OPERATOR)).endsWith("or set spec.createBucket: true");
    assertThat(problem.messageFor(Audience.CLI)).endsWith("or set --create-bucket");
    assertThat(problem.messageFor(Audience.HTTP)).endsWith("or set createBucket=true");
  }

  @Test
  void theDefaultMessageIsTheOperatorsSoConditionsNameSpecFields() {
    assertThat(problem.getMessage()).isEqualTo(problem.messageFor(Audience.OPERATOR));
  }

  @Test
  void otherBracesInAMessageAreLeftAlone() {
    assertThat(Setting.render("ledger.url needs {page}; {{NOT_A_SETTING}}", Audience.CLI))
        .isEqualTo("ledger.url needs {page}; {{NOT_A_SETTING}}");
  }
}
