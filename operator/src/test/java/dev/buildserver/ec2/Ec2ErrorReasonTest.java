package dev.buildserver.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.status.Reason;
import org.junit.jupiter.api.Test;

class Ec2ErrorReasonTest {

  @Test
  void onlyNotFoundMeansTheInstanceIsGone() {
    assertThat(InstanceLauncher.reason("InvalidInstanceID.NotFound", false, 400))
        .isEqualTo(Reason.InstanceNotFound);
    // A malformed id is a bug or bad input: treating it as "gone" could end a run that still
    // holds an instance.
    assertThat(InstanceLauncher.reason("InvalidInstanceID.Malformed", false, 400))
        .isEqualTo(Reason.Ec2Error);
  }

  @Test
  void throttlingOutagesTemplatesAndPermissionsHaveTheirOwnReasons() {
    assertThat(InstanceLauncher.reason("RequestLimitExceeded", true, 503))
        .isEqualTo(Reason.Throttled);
    assertThat(InstanceLauncher.reason("InternalError", false, 500))
        .isEqualTo(Reason.Ec2Unavailable);
    assertThat(InstanceLauncher.reason("InvalidLaunchTemplateName.NotFoundException", false, 400))
        .isEqualTo(Reason.LaunchTemplateNotFound);
    assertThat(InstanceLauncher.reason("UnauthorizedOperation", false, 403))
        .isEqualTo(Reason.AccessDenied);
  }
}
