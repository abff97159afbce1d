package dev.buildserver.ec2;

import dev.buildserver.status.Echo;
import java.util.List;

/**
 * The instance-type allow-list ({@code buildserver.ec2.allowed-instance-types}): the type a launch
 * would get, from the spec, its inline template data, or else its named launch template, and
 * whether it is allowed.
 *
 * @param type the type the launch gets (null when none is set anywhere)
 * @param refusal why it is refused, or null when allowed
 */
record TypeCheck(String type, String refusal) {

  static TypeCheck of(Instances ec2, List<String> allowed, LaunchSpec launch) {
    String type = launch.instanceType();
    if (type == null && launch.templateData() != null) {
      type = launch.templateData().instanceType();
    }
    if (type == null && (launch.templateId() != null || launch.templateName() != null)) {
      type =
          ec2.templateInstanceType(
                  launch.region(),
                  launch.templateId(),
                  launch.templateName(),
                  launch.templateVersion())
              .orElse(null);
    }
    if (type != null && allowed.contains(type)) {
      return new TypeCheck(type, null);
    }
    return new TypeCheck(
        type,
        "instance type "
            + (type == null ? "(none set)" : Echo.value(type))
            + " is not allowed here (buildserver.ec2.allowed-instance-types: "
            + String.join(", ", allowed)
            + "): choose one of those");
  }
}
