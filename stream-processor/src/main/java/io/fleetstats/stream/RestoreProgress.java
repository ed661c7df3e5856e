package io.fleetstats.stream;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what Kafka Streams restores from the changelogs, so a long start (a new pod, a lost
 * volume: the windows' state replayed from Kafka) says how far it is instead of looking stuck. One
 * INFO line per store partition with records to restore, at its start and end; {@link #summary()}
 * for the periodic report.
 */
final class RestoreProgress implements StateRestoreListener {
  private static final Logger log = LoggerFactory.getLogger(RestoreProgress.class);

  /** Records still to restore, per changelog partition under way. */
  private final Map<TopicPartition, AtomicLong> remaining = new ConcurrentHashMap<>();

  private final Map<TopicPartition, Long> startedAt = new ConcurrentHashMap<>();
  private final AtomicLong restored = new AtomicLong();
  private final AtomicLong partitionsDone = new AtomicLong();

  @Override
  public void onRestoreStart(
      TopicPartition partition, String store, long startingOffset, long endingOffset) {
    long total = Math.max(0, endingOffset - startingOffset);
    remaining.put(partition, new AtomicLong(total));
    startedAt.put(partition, System.nanoTime());
    if (total > 0) { // an empty changelog (a fresh application) is not worth a line per partition
      log.info("restoring {} from {}: {} records", store, partition, total);
    }
  }

  @Override
  public void onBatchRestored(
      TopicPartition partition, String store, long batchEndOffset, long numRestored) {
    restored.addAndGet(numRestored);
    AtomicLong left = remaining.get(partition);
    if (left != null) {
      left.addAndGet(-numRestored);
    }
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
    remaining.remove(partition);
    Long started = startedAt.remove(partition);
    partitionsDone.incrementAndGet();
    if (totalRestored == 0) {
      return;
    }
    log.info(
        "restored {} from {}: {} records in {} ms",
        store,
        partition,
        totalRestored,
        started == null ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
    // the task moved to another instance during a rebalance: it is no longer ours to wait for
    remaining.remove(partition);
    startedAt.remove(partition);
  }

  /** Records restored since start, over every store. */
  long restored() {
    return restored.get();
  }

  /** Whether a changelog partition is being restored now. */
  boolean underWay() {
    return !remaining.isEmpty();
  }

  /** One line for the start-up report: what is restored and what is left. */
  String summary(Duration waited) {
    long left = remaining.values().stream().mapToLong(AtomicLong::get).sum();
    return underWay()
        ? "restoring state: "
            + restored.get()
            + " records restored, about "
            + Math.max(0, left)
            + " left in "
            + remaining.size()
            + " changelog partitions ("
            + partitionsDone.get()
            + " done) after "
            + waited.toSeconds()
            + " s"
        : restored.get()
            + " records restored in "
            + partitionsDone.get()
            + " changelog partitions, none under way, after "
            + waited.toSeconds()
            + " s";
  }
}
