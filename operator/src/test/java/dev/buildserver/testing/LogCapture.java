package dev.buildserver.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Captures every log line of the test JVM (an in-process operator's included), with its stack
 * trace, so that a test can search the operator's log for what must never be there.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final List<String> lines = new CopyOnWriteArrayList<>();

  private LogCapture() {}

  /** Starts capturing at every level the root logger passes. */
  public static LogCapture attach() {
    LogCapture capture = new LogCapture();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    capture.setContext(root.getLoggerContext());
    capture.setName("test-capture");
    capture.start();
    root.addAppender(capture);
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    String line = event.getLoggerName() + " " + event.getFormattedMessage();
    if (event.getThrowableProxy() != null) {
      line += "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy());
    }
    lines.add(line);
  }

  /** Everything captured so far, one entry per log event. */
  public String text() {
    return String.join("\n", lines);
  }

  public int size() {
    return lines.size();
  }

  @Override
  public void close() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(this);
    stop();
  }
}
