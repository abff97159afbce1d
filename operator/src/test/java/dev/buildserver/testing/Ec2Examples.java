package dev.buildserver.testing;

import dev.buildserver.aws.AwsClients;
import software.amazon.awssdk.services.ec2.model.ResourceType;

/** What the examples expect in EC2, as hack/local-stack.sh creates it for `make run`. */
public final class Ec2Examples {

  public static final String TEMPLATE = "buildserver-example";
  public static final String IMAGE = "ami-12c6146b";

  private Ec2Examples() {}

  /** The launch template examples/ec2-test-run.yaml starts from (t2.micro, tag type=aws-test). */
  public static void createLaunchTemplate(AwsClients aws) {
    var ec2 = aws.ec2("us-east-1");
    boolean exists =
        !ec2.describeLaunchTemplates(
                b -> b.filters(f -> f.name("launch-template-name").values(TEMPLATE)))
            .launchTemplates()
            .isEmpty();
    if (!exists) {
      ec2.createLaunchTemplate(
          b ->
              b.launchTemplateName(TEMPLATE)
                  .launchTemplateData(
                      d ->
                          d.imageId(IMAGE)
                              .instanceType("t2.micro")
                              .tagSpecifications(
                                  t ->
                                      t.resourceType(ResourceType.INSTANCE)
                                          .tags(g -> g.key("type").value("aws-test")))));
    }
  }
}
