package dev.buildserver.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.buildserver.aws.AwsClients;
import dev.buildserver.aws.AwsSettings;
import dev.buildserver.testing.MotoServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The SDK's own metrics feed buildserver_aws_*: an EC2 endpoint on loopback that always answers 503
 * RequestLimitExceeded is retried by the SDK's standard strategy, and every attempt shows.
 */
class AwsCallMetricsTest {

  private static final byte[] THROTTLED =
      ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
              + "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
              + "</Error></Errors><RequestID>test</RequestID></Response>")
          .getBytes(StandardCharsets.UTF_8);

  @Test
  void countsEveryThrottledAttemptTheRetriesAndTheCall() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    HttpServer ec2 = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ec2.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          answered.incrementAndGet();
          exchange.sendResponseHeaders(503, THROTTLED.length);
          exchange.getResponseBody().write(THROTTLED);
          exchange.close();
        });
    ec2.start();
    MotoServer.useDummyCredentials(); // the endpoint checks none, but the SDK wants some
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(URI.create("http://127.0.0.1:" + ec2.getAddress().getPort()));
    try (AwsClients aws =
        new AwsClients(settings, List.of(), List.of(new AwsCallMetrics(registry)))) {
      assertThatThrownBy(() -> aws.ec2("us-east-1").describeInstances())
          .isInstanceOf(Ec2Exception.class)
          .hasMessageContaining("Request limit exceeded");
    } finally {
      ec2.stop(0);
    }

    assertThat(answered.get()).as("attempts the endpoint saw").isGreaterThan(1);
    assertThat(
            registry
                .get("buildserver.aws.requests")
                .tags("service", "EC2", "operation", "DescribeInstances", "outcome", "throttled")
                .counter()
                .count())
        .isEqualTo(answered.get());
    assertThat(registry.find("buildserver.aws.requests").tags("outcome", "success").counter())
        .isNull();
    assertThat(
            registry
                .get("buildserver.aws.retries")
                .tags("service", "EC2", "operation", "DescribeInstances")
                .counter()
                .count())
        .isEqualTo(answered.get() - 1);
    assertThat(registry.get("buildserver.aws.request").timer().count()).isEqualTo(1);
  }

  @Test
  void aServiceAnswerOf404IsAClientErrorNotAServerError() throws Exception {
    HttpServer s3 = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s3.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(404, -1); // HEAD of a missing key: no body
          exchange.close();
        });
    s3.start();
    MotoServer.useDummyCredentials();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AwsSettings settings = new AwsSettings();
    settings.setEndpoint(URI.create("http://127.0.0.1:" + s3.getAddress().getPort()));
    try (AwsClients aws =
        new AwsClients(settings, List.of(), List.of(new AwsCallMetrics(registry)))) {
      assertThatThrownBy(
              () -> aws.s3("us-east-1").headObject(b -> b.bucket("bucket").key("missing")))
          .isInstanceOf(NoSuchKeyException.class);
    } finally {
      s3.stop(0);
    }
    assertThat(
            registry
                .get("buildserver.aws.requests")
                .tags("service", "S3", "operation", "HeadObject", "outcome", "client_error")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.find("buildserver.aws.requests").tags("outcome", "server_error").counter())
        .isNull();
  }
}
