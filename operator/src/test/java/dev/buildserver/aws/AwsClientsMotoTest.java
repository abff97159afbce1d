package dev.buildserver.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.MotoExtension;
import dev.buildserver.testing.MotoServer;
import dev.buildserver.testing.S3Front;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

/** AwsClients pointed at the emulator through the endpoint override. */
@Tag("component") // needs moto, the mock API server or child JVMs: not in make test-unit
@ExtendWith(MotoExtension.class)
class AwsClientsMotoTest {

  @Test
  void talksToTheConfiguredEndpointWithPathStyleS3(MotoServer moto) {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(moto.endpoint());
    settings.setRegion("eu-west-1");
    try (AwsClients clients = new AwsClients(settings)) {
      var s3 = clients.s3(null);
      s3.createBucket(
          b ->
              b.bucket("fixture-check")
                  .createBucketConfiguration(c -> c.locationConstraint("eu-west-1")));
      s3.putObject(b -> b.bucket("fixture-check").key("a.txt"), RequestBody.fromString("hello"));

      assertThat(s3.listObjectsV2(b -> b.bucket("fixture-check")).contents())
          .extracting(o -> o.key())
          .containsExactly("a.txt");
      assertThat(clients.ec2("us-east-1").describeRegions().regions()).isNotEmpty();
      assertThat(clients.defaultRegion()).isEqualTo("eu-west-1");
    }
  }

  @Test
  void startsEachTestFromAnEmptyAccount(MotoServer moto) {
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(moto.endpoint());
    try (AwsClients clients = new AwsClients(settings)) {
      assertThat(clients.s3("us-east-1").listBuckets().buckets()).isEmpty();
    }
  }

  @Test
  void sendsS3ToAStoreOfItsOwnAndEverythingElseToTheEndpoint(MotoServer moto) throws Exception {
    try (S3Front store = S3Front.before(moto.endpoint(), S3Front.Deletes.PASSED_ON)) {
      AwsSettings settings = new AwsSettings();
      settings.setEndpoint(moto.endpoint());
      settings.setS3Endpoint(store.endpoint());
      try (AwsClients clients = new AwsClients(settings)) {
        clients.s3("us-east-1").createBucket(b -> b.bucket("own-store"));
        clients.ec2("us-east-1").describeRegions();

        assertThat(store.forwarded()).isEqualTo(1); // the S3 call, not the EC2 one
        assertThat(clients.s3Endpoint("us-east-1")).isEqualTo(store.endpoint().toString());
      }
    }
  }
}
