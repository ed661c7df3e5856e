package io.fleetstats.stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Keeps Kafka Streams' account of a routine recovery out of the log: after an unclean stop under
 * exactly-once every task with local state is "corrupted" (no checkpoint), and Kafka Streams logs
 * that at ERROR ({@code TaskManager}: "Get exceptions for the following tasks") plus a WARN with a
 * stack trace per task, although it then simply rebuilds the state from the changelogs. The
 * processor says what happens instead, once ({@link UncleanStop}) and per restored changelog
 * ({@link RestoreProgress}); a task corrupted while running is reported as a WARN naming the tasks.
 *
 * <p>Only those lines are dropped: an ERROR that lists any exception other than {@link
 * TaskCorruptedException} passes as it is.
 */
final class RecoveryLogFilter extends TurboFilter {
  private static final String INTERNALS = "org.apache.kafka.streams.processor.internals.";
  private static final Pattern LISTED_EXCEPTION =
      Pattern.compile("=([A-Za-z0-9_.$]+(?:Exception|Error))");
  private static final Pattern DETECTED_TASKS =
      Pattern.compile("Detected the states of tasks (\\[[^\\]]*\\]) are corrupted");
  private static final org.slf4j.Logger log = LoggerFactory.getLogger(StreamProcessor.class);

  /**
   * Adds the filter to logback, once; nothing when SLF4J is bound to another backend. Callers catch
   * {@link NoClassDefFoundError}: without logback on the class path this class does not load.
   */
  static void install() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
        && context.getTurboFilterList().stream().noneMatch(f -> f instanceof RecoveryLogFilter)) {
      RecoveryLogFilter filter = new RecoveryLogFilter();
      filter.setName("fleetstats-recovery");
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null || !logger.getName().startsWith(INTERNALS)) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName().substring(INTERNALS.length());
    String text =
        params == null ? format : MessageFormatter.arrayFormat(format, params).getMessage();
    switch (name) {
      case "TaskManager":
        if (level == Level.ERROR
            && text.contains("Get exceptions for the following tasks")
            && onlyCorruption(text, params)) {
          return FilterReply.DENY;
        }
        if (level == Level.WARN && text.contains("Encounter corrupted task")) {
          return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
      case "ProcessorStateManager":
        return level == Level.WARN
                && text.contains("did not find checkpoint offsets while stores are not empty")
            ? FilterReply.DENY
            : FilterReply.NEUTRAL;
      case "StateDirectory":
        return level == Level.WARN
                && text.contains("Failed to register startup state stores")
                && text.contains("are corrupted")
            ? FilterReply.DENY
            : FilterReply.NEUTRAL;
      case "StreamThread":
        if (level == Level.WARN) {
          Matcher m = DETECTED_TASKS.matcher(text);
          if (m.find()) {
            log.warn(
                "local state of tasks {} cannot be trusted (no checkpoint after an unclean stop, or"
                    + " changelog offsets lost): wiping it and rebuilding it from the changelogs",
                m.group(1));
            return FilterReply.DENY;
          }
        }
        return FilterReply.NEUTRAL;
      default:
        return FilterReply.NEUTRAL;
    }
  }

  /** Whether every exception the line lists is a {@link TaskCorruptedException}. */
  private static boolean onlyCorruption(String text, Object[] params) {
    if (params != null) {
      for (Object p : params) {
        if (p instanceof Map<?, ?> m && !m.isEmpty()) {
          return m.values().stream().allMatch(v -> v instanceof TaskCorruptedException);
        }
      }
    }
    Matcher m = LISTED_EXCEPTION.matcher(text);
    boolean any = false;
    while (m.find()) {
      any = true;
      if (!m.group(1).equals(TaskCorruptedException.class.getName())) {
        return false;
      }
    }
    return any;
  }
}
