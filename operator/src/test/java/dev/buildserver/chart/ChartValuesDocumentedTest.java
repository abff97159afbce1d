package dev.buildserver.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildserver.testing.RepoFiles;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every value of values.yaml has a row in the README's values table, and no row is stale. */
class ChartValuesDocumentedTest {

  /** Maps documented as a whole rather than key by key. */
  private static final Set<String> WHOLE =
      Set.of(
          "resources",
          "serviceAccount.annotations",
          "serviceMonitor.labels",
          "grafanaDashboard.labels",
          "grafanaDashboard.annotations",
          "prometheusRule.labels",
          "podAnnotations",
          "podLabels",
          "nodeSelector",
          "affinity");

  @Test
  void theReadmeTableMatchesValuesYaml() throws IOException {
    Map<String, Object> values =
        Serialization.unmarshal(
            Files.readString(HelmChartTest.CHART.resolve("values.yaml")), Map.class);
    List<String> keys = new ArrayList<>();
    flatten("", values, keys);
    String readme = Files.readString(RepoFiles.repo().resolve("README.md"));
    String table =
        readme.substring(readme.indexOf("### Chart values"), readme.indexOf("## Configuration"));
    List<String> rows =
        table
            .lines()
            .filter(l -> l.startsWith("| `"))
            .map(l -> l.substring(3, l.indexOf('`', 3)))
            .toList();
    assertThat(rows)
        .as("README values table (run through values.yaml)")
        .containsExactlyInAnyOrderElementsOf(keys);
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Map<String, Object> map, List<String> out) {
    map.forEach(
        (k, v) -> {
          String key = prefix + k;
          if (v instanceof Map<?, ?> nested && !nested.isEmpty() && !WHOLE.contains(key)) {
            flatten(key + ".", (Map<String, Object>) nested, out);
          } else {
            out.add(key);
          }
        });
  }
}
