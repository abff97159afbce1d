package dev.buildserver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.asset.BuildAsset;
import dev.buildserver.testing.Cluster;
import dev.buildserver.testing.InProcessOperator;
import dev.buildserver.testing.KubeApi;
import dev.buildserver.testing.SdkRegions;
import dev.buildserver.testing.StaticHttpServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's safe defaults (contract §3b, §5): no fetch from loopback unless configured, every
 * /buildserver/ call authenticated, reads included, and region names checked before the SDK caches
 * them.
 */
class OperatorDefaultsE2ETest {

  private static Cluster cluster;
  private static InProcessOperator operator;
  private static StaticHttpServer web;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    KubeApi api = KubeApi.get();
    cluster = new Cluster(api.client(), api.newNamespace("defaults"));
    // The operator's own defaults: loopback is not allowed (the test rig allows it elsewhere).
    operator =
        InProcessOperator.start(
            List.of(), Map.of("buildserver.outbound.allow-loopback", false), cluster.namespace());
    web = StaticHttpServer.start();
    web.serve("/local.txt", "on loopback".getBytes());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (web != null) {
      web.close();
    }
  }

  @Test
  void refusesUrlSourcesOnLoopbackUnlessConfigured() {
    BuildAsset asset =
        cluster.create(
            BuildAsset.class,
            """
            metadata: {name: loopback}
            spec: {bucket: defaults, key: l.txt, createBucket: true, source: {url: "%s"}}
            """
                .formatted(web.url("/local.txt")));
    BuildAsset refused = cluster.awaitReady(asset, "UrlRefused");
    assertThat(refused.getStatus().getConditions().get(0).getMessage())
        .contains("loopback")
        .contains("buildserver.outbound.allow-hosts");
    assertThat(web.requests()).isZero();
  }

  @Test
  void readsOfTheApiNeedTheToken() throws Exception {
    HttpResponse<String> anonymous = get("/buildserver/assets?bucket=defaults", null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(json(anonymous).get("reason").asText()).isEqualTo("Unauthorized");

    HttpResponse<String> wrong = get("/buildserver/assets?bucket=defaults", "wrong");
    assertThat(wrong.statusCode()).isEqualTo(401);
  }

  @Test
  void checksTheRegionParameterBeforeTheSdkCachesIt() throws Exception {
    String junk = "zz-" + UUID.randomUUID();
    HttpResponse<String> response =
        get("/buildserver/assets?bucket=defaults&region=" + junk, InProcessOperator.API_TOKEN);
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response).get("reason").asText()).isEqualTo("InvalidRegion");
    assertThat(SdkRegions.cached()).doesNotContainKey(junk);
  }

  private static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(operator.url().resolve(path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return new ObjectMapper().readTree(response.body());
  }

  /** The AWS SDK's own cache of every region name it was ever given. */
}
