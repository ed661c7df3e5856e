package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class SidecarLoggingTest {
  private static final List<String> LOGGERS =
      List.of(
          Logger.ROOT_LOGGER_NAME,
          "io.fleetstats.edge.EdgeAgent",
          "io.fleetstats.edge.publish.BatchPublisher",
          "org.apache.kafka.clients.producer.KafkaProducer",
          "org.apache.kafka.common.utils.AppInfoParser",
          "io.netty.channel.DefaultChannelPipeline",
          "com.mysql.cj.jdbc.ConnectionImpl");

  @Test
  void logsToStderrAtTheSidecarsLevelsWhenNoFileIsGiven() {
    LoggerContext context = new LoggerContext();

    ExecutionStatus status = new SidecarLogging(key -> null, resource -> false).configure(context);

    assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    assertThat(levels(context))
        .containsEntry(Logger.ROOT_LOGGER_NAME, Level.WARN)
        .containsEntry("io.fleetstats.edge.EdgeAgent", Level.INFO)
        .containsEntry("org.apache.kafka.clients.producer.KafkaProducer", Level.ERROR);
    ConsoleAppender<ILoggingEvent> stderr = onlyAppender(context);
    assertThat(stderr.getTarget()).isEqualTo("System.err");
    assertThat(((PatternLayoutEncoder) stderr.getEncoder()).getPattern())
        .isEqualTo(SidecarLogging.PATTERN);
    assertThat(stderr.isStarted()).isTrue();
  }

  @Test
  void sameLevelsAndLayoutAsBinLogbackXml() throws Exception {
    LoggerContext fromXml = new LoggerContext();
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(fromXml);
    joran.doConfigure(Path.of("bin/logback.xml").toFile());
    LoggerContext fromCode = new LoggerContext();
    new SidecarLogging(key -> null, resource -> false).configure(fromCode);

    assertThat(levels(fromCode)).isEqualTo(levels(fromXml));
    ConsoleAppender<ILoggingEvent> xml = onlyAppender(fromXml);
    ConsoleAppender<ILoggingEvent> code = onlyAppender(fromCode);
    assertThat(code.getTarget()).isEqualTo(xml.getTarget());
    assertThat(((PatternLayoutEncoder) code.getEncoder()).getPattern())
        .isEqualTo(((PatternLayoutEncoder) xml.getEncoder()).getPattern());
  }

  @Test
  void leavesItToLogbackWhenAConfigurationFileIsSet() {
    LoggerContext context = new LoggerContext();

    ExecutionStatus status =
        new SidecarLogging(
                key ->
                    key.equals("logback.configurationFile") ? "/etc/fleetstats/logback.xml" : null,
                resource -> false)
            .configure(context);

    assertThat(status).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext())
        .isFalse();
  }

  @Test
  void leavesItToLogbackWhenTheClassPathHasALogbackXml() {
    for (String resource : List.of("logback.xml", "logback-test.xml")) {
      LoggerContext context = new LoggerContext();

      ExecutionStatus status = new SidecarLogging(key -> null, resource::equals).configure(context);

      assertThat(status).as(resource).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
      assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext())
          .isFalse();
    }
  }

  @Test
  void logbackFindsItAsAService() {
    assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
        .contains(SidecarLogging.class);
  }

  private static Map<String, Level> levels(LoggerContext context) {
    Map<String, Level> levels = new java.util.TreeMap<>();
    for (String name : LOGGERS) {
      levels.put(name, context.getLogger(name).getEffectiveLevel());
    }
    return levels;
  }

  @SuppressWarnings("unchecked")
  private static ConsoleAppender<ILoggingEvent> onlyAppender(LoggerContext context) {
    List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
    context
        .getLogger(Logger.ROOT_LOGGER_NAME)
        .iteratorForAppenders()
        .forEachRemaining(appenders::add);
    assertThat(appenders).hasSize(1).first().isInstanceOf(ConsoleAppender.class);
    return (ConsoleAppender<ILoggingEvent>) appenders.get(0);
  }
}
