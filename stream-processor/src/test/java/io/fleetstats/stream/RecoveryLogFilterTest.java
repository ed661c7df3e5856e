package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/** Which of Kafka Streams' lines the filter keeps out: only those of a routine state rebuild. */
class RecoveryLogFilterTest {
  private static final String INTERNALS = "org.apache.kafka.streams.processor.internals.";
  private final LoggerContext context = new LoggerContext();
  private final RecoveryLogFilter filter = new RecoveryLogFilter();

  private FilterReply decide(String logger, Level level, String format, Object... params) {
    Logger l = context.getLogger(INTERNALS + logger);
    return filter.decide(null, l, level, format, params.length == 0 ? null : params, null);
  }

  @Test
  void theErrorListingOnlyCorruptedTasksIsDropped() {
    Map<TaskId, RuntimeException> only = new LinkedHashMap<>();
    only.put(new TaskId(1, 0), new TaskCorruptedException(Set.of(new TaskId(1, 0))));
    only.put(new TaskId(2, 3), new TaskCorruptedException(Set.of(new TaskId(2, 3))));

    assertThat(
            decide("TaskManager", Level.ERROR, "Get exceptions for the following tasks: {}", only))
        .isEqualTo(FilterReply.DENY);
    // as LogContext's loggers pass it: formatted, with a prefix, no parameters
    assertThat(
            decide(
                "TaskManager",
                Level.ERROR,
                "stream-thread [t-1] Get exceptions for the following tasks: " + only))
        .isEqualTo(FilterReply.DENY);
  }

  @Test
  void theErrorListingAnyOtherExceptionStays() {
    Map<TaskId, RuntimeException> mixed = new LinkedHashMap<>();
    mixed.put(new TaskId(1, 0), new TaskCorruptedException(Set.of(new TaskId(1, 0))));
    mixed.put(new TaskId(1, 1), new IllegalStateException("disk full"));

    assertThat(
            decide("TaskManager", Level.ERROR, "Get exceptions for the following tasks: {}", mixed))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "TaskManager",
                Level.ERROR,
                "stream-thread [t-1] Get exceptions for the following tasks: " + mixed))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide("TaskManager", Level.ERROR, "something else failed"))
        .isEqualTo(FilterReply.NEUTRAL);
  }

  @Test
  void thePerTaskWarningsOfTheRebuildAreDropped() {
    assertThat(
            decide(
                "TaskManager",
                Level.WARN,
                "stream-thread [t-1] Encounter corrupted task 1_0, will group it with other"
                    + " corrupted tasks and handle together"))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "ProcessorStateManager",
                Level.WARN,
                "State store fleetstats-window-store did not find checkpoint offsets while stores"
                    + " are not empty, since under EOS it has the risk of getting uncommitted data"))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "StateDirectory",
                Level.WARN,
                "Failed to register startup state stores for task 1_0: Tasks [1_0] are corrupted"
                    + " and hence need to be re-initialized"))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "StreamThread",
                Level.WARN,
                "stream-thread [t-1] Detected the states of tasks [1_0, 2_3] are corrupted. Will"
                    + " close the task as dirty and re-create and bootstrap from scratch."))
        .isEqualTo(FilterReply.DENY);
  }

  @Test
  void otherLinesAndLevelChecksPass() {
    assertThat(decide("StreamThread", Level.WARN, "stream-thread [t-1] something else"))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            filter.decide(
                null, context.getLogger("x"), Level.ERROR, "Encounter corrupted task", null, null))
        .isEqualTo(FilterReply.NEUTRAL);
    // logger.isWarnEnabled(): no message yet
    assertThat(
            filter.decide(
                null, context.getLogger(INTERNALS + "TaskManager"), Level.WARN, null, null, null))
        .isEqualTo(FilterReply.NEUTRAL);
  }
}
