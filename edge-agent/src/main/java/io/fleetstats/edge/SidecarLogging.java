package io.fleetstats.edge;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * The standalone agent's logging, set up in code (found by Logback through {@code
 * META-INF/services}): one line per event on stderr, the agent at INFO, Kafka's client chatter at
 * ERROR, everything else at WARN — what {@code bin/logback.xml} says, without Logback's XML
 * configurator, which loads some 450 classes (Joran and the JDK's XML parser) that cost the sidecar
 * about 3 MiB (README, "Footprint").
 *
 * <p>It only stands in for Logback's last resort: when {@code -Dlogback.configurationFile} is set,
 * or a {@code logback-test.xml} or {@code logback.xml} is on the class path (an application
 * embedding the agent), it does nothing and Logback reads that file as usual.
 */
public final class SidecarLogging extends ContextAwareBase implements Configurator {
  /** The layout of {@code bin/logback.xml}. */
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

  private final Function<String, String> systemProperty;
  private final Predicate<String> onClassPath;

  /** As Logback's service loader creates it: the JVM's system properties and class path. */
  public SidecarLogging() {
    this(
        System::getProperty,
        name -> SidecarLogging.class.getClassLoader().getResource(name) != null);
  }

  SidecarLogging(Function<String, String> systemProperty, Predicate<String> onClassPath) {
    this.systemProperty = systemProperty;
    this.onClassPath = onClassPath;
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (userConfigured()) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    context.getLogger("org.apache.kafka").setLevel(Level.ERROR);
    context.getLogger("io.fleetstats").setLevel(Level.INFO);
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  private boolean userConfigured() {
    return systemProperty.apply(ClassicConstants.CONFIG_FILE_PROPERTY) != null
        || onClassPath.test(ClassicConstants.TEST_AUTOCONFIG_FILE)
        || onClassPath.test(ClassicConstants.AUTOCONFIG_FILE);
  }
}
