package io.fleetstats.stream.topology;

import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Asks Kafka Streams for a commit soon after live output ({@code FLEETSTATS_COMMIT_ON_CLOSE}).
 *
 * <p>With exactly-once, what a task emits becomes visible to {@code read_committed} readers (the
 * sinks, and stage 2 of the roll-ups through the repartition topic) only when the stream thread's
 * transaction commits, every {@code FLEETSTATS_COMMIT_INTERVAL}. A window emitted just after a
 * commit waits a whole interval; a roll-up pays that twice. Here a task marks live output (a window
 * whose end is at most {@code liveFor} behind the wall clock, or a watermark as recent), and a
 * 100-ms wall-clock punctuation turns a mark into {@link ProcessorContext#commit()}, Kafka Streams'
 * request to commit at the end of the current loop. The windows of one close arrive within about a
 * second of each other (each source's clock passes the end in its own time), so this adds at most
 * ten commits around each close and none in between; a backlog's windows are older than {@code
 * liveFor} and ask for none, so catching up keeps the interval's batching.
 */
final class LiveCommits {
  /** How often a mark becomes a request: the most a live window waits before it is committed. */
  static final Duration CHECK = Duration.ofMillis(100);

  /** Slack over grace and window within which output counts as live. */
  static final long SLACK_MS = 10_000;

  private final ProcessorContext<?, ?> context;
  private final long liveFor;
  private final boolean enabled;
  private boolean wanted;
  private long requests;

  /**
   * @param liveFor how far behind the wall clock (ms) a window's end may be for it to count as live
   * @param enabled {@code FLEETSTATS_COMMIT_ON_CLOSE}
   */
  LiveCommits(ProcessorContext<?, ?> context, long liveFor, boolean enabled) {
    this.context = context;
    this.liveFor = liveFor;
    this.enabled = enabled;
    if (enabled) {
      context.schedule(CHECK, PunctuationType.WALL_CLOCK_TIME, now -> flush());
    }
  }

  /** Output for event time {@code time} (a window's end, a watermark) was forwarded. */
  void emitted(long time) {
    if (enabled && !wanted && context.currentSystemTimeMs() - time <= liveFor) {
      wanted = true;
    }
  }

  /** Commit requests made so far (for tests). */
  long requests() {
    return requests;
  }

  void flush() {
    if (wanted) {
      wanted = false;
      requests++;
      context.commit();
    }
  }
}
