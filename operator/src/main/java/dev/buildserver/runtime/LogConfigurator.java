package dev.buildserver.runtime;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.Map;

/**
 * Logging set up in code rather than from logback.xml: the XML reader costs about 0.2 s of every
 * start. Logs go to stderr, so CLI output on stdout stays machine-readable. {@code
 * BUILDSERVER_LOG_FORMAT=json} writes one JSON object per line (the chart's default) and {@code
 * BUILDSERVER_LOG_LEVEL} sets the root level. A file named by {@code -Dlogback.configurationFile}
 * still wins: this configurator then steps aside.
 */
public class LogConfigurator extends ContextAwareBase implements Configurator {

  /** The resource being reconciled (JOSDK's MDC), when there is one: "[namespace/name] ". */
  static final String TEXT_PATTERN =
      "%d{HH:mm:ss.SSS} %-5level %logger{24} - "
          + "%replace([%X{resource.namespace}/%X{resource.name}] ){'\\[/\\] ', ''}%msg%n";

  private static final Map<String, Level> QUIETER =
      Map.of(
          "io.micronaut", Level.WARN,
          "io.javaoperatorsdk", Level.INFO,
          "io.fabric8.kubernetes.client.informers", Level.WARN);

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.NEUTRAL;
    }
    // logback's own warnings never reach stdout, where CLI output must stay clean
    context.getStatusManager().add(new NopStatusListener());
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("stderr");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder(context, System.getenv("BUILDSERVER_LOG_FORMAT")));
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(System.getenv("BUILDSERVER_LOG_LEVEL"), Level.INFO));
    root.addAppender(stderr);
    QUIETER.forEach((name, level) -> context.getLogger(name).setLevel(level));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  static Encoder<ILoggingEvent> encoder(LoggerContext context, String format) {
    if ("json".equalsIgnoreCase(format)) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      json.setWithFormattedMessage(true);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithContext(false);
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(TEXT_PATTERN);
    text.start();
    return text;
  }
}
