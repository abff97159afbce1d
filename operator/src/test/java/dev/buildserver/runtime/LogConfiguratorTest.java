package dev.buildserver.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogConfiguratorTest {

  private final LoggerContext context = new LoggerContext();
  private final Logger logger = context.getLogger("dev.buildserver.asset.BuildAssetReconciler");

  @Test
  void textLinesNameTheResourceBeingReconciledAndNothingWhenThereIsNone() {
    String withResource =
        encode(
            "text",
            event("put {} bytes", Map.of("resource.namespace", "ci", "resource.name", "app")));
    String without = encode("text", event("put {} bytes", Map.of()));

    assertThat(withResource)
        .matches(
            "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  d\\.b\\.a\\.BuildAssetReconciler - \\[ci/app\\] put 42 bytes\\R");
    assertThat(without).endsWith("BuildAssetReconciler - put 42 bytes" + System.lineSeparator());
  }

  @Test
  void jsonLinesAreOneObjectWithTheFormattedMessageOnly() throws Exception {
    String line = encode("JSON", event("put {} bytes", Map.of("resource.name", "app")));

    assertThat(line).endsWith("\n").doesNotContain("\n\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("loggerName").asText()).isEqualTo(logger.getName());
    assertThat(json.get("formattedMessage").asText()).isEqualTo("put 42 bytes");
    assertThat(json.get("mdc").get("resource.name").asText()).isEqualTo("app");
    assertThat(json.has("message")).as("the raw template is left out").isFalse();
    assertThat(json.has("arguments")).as("so are its arguments").isFalse();
  }

  @Test
  void quietsTheFrameworksAndStepsAsideForAnExplicitConfigurationFile() {
    assertThat(new LogConfigurator().configure(context))
        .isEqualTo(LogConfigurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    assertThat(context.getLogger("io.micronaut.context").getEffectiveLevel()).isEqualTo(Level.WARN);
    assertThat(
            context.getLogger("io.fabric8.kubernetes.client.informers.cache").getEffectiveLevel())
        .isEqualTo(Level.WARN);
    assertThat(context.getLogger("dev.buildserver").getEffectiveLevel()).isEqualTo(Level.INFO);

    String previous =
        System.setProperty("logback.configurationFile", "/etc/buildserver/logback.xml");
    try {
      assertThat(new LogConfigurator().configure(new LoggerContext()))
          .isEqualTo(LogConfigurator.ExecutionStatus.NEUTRAL);
    } finally {
      if (previous == null) {
        System.clearProperty("logback.configurationFile");
      } else {
        System.setProperty("logback.configurationFile", previous);
      }
    }
  }

  private LoggingEvent event(String template, Map<String, String> mdc) {
    LoggingEvent event =
        new LoggingEvent(
            Logger.class.getName(), logger, Level.INFO, template, null, new Object[] {42});
    event.setMDCPropertyMap(mdc);
    return event;
  }

  private String encode(String format, LoggingEvent event) {
    return new String(
        LogConfigurator.encoder(context, format).encode(event), StandardCharsets.UTF_8);
  }
}
