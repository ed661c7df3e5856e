package io.fleetstats.stream.replay;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a bounded range of several partitions as one sequence, in a deterministic order: always the
 * buffered record with the smallest timestamp (ties: the order the ranges were given), taken only
 * when every unfinished partition has a record buffered. The order therefore depends on the data
 * alone, not on how fetches happened to arrive, so a resumed read continues exactly as the first
 * one would have, and sources on different partitions advance together in event time (as they
 * arrive live). Partitions are assigned, never subscribed: no consumer group, no commits.
 */
final class RangeReader {

  /** Offsets {@code [start, stop)} of one partition. */
  record Range(TopicPartition partition, long start, long stop) {}

  private static final int PAUSE_AT = 4_000;
  private static final int RESUME_BELOW = 1_000;

  private final Consumer<String, byte[]> consumer;
  private final List<Range> ranges;
  private final Map<TopicPartition, Integer> order = new HashMap<>();
  private final Map<TopicPartition, Long> stops = new HashMap<>();
  private final Map<TopicPartition, Long> next = new HashMap<>();
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> queues =
      new HashMap<>();
  private final Set<TopicPartition> active = new HashSet<>();
  private final Set<TopicPartition> paused = new HashSet<>();
  private final Duration stallTimeout;

  /**
   * @param resumeAt per partition the next offset to read, for a resumed run (else the range's
   *     start)
   * @param stallTimeout how long polls may bring nothing for a partition that has records left
   */
  RangeReader(
      Consumer<String, byte[]> consumer,
      List<Range> ranges,
      Map<TopicPartition, Long> resumeAt,
      Duration stallTimeout) {
    this.consumer = consumer;
    this.ranges = List.copyOf(ranges);
    this.stallTimeout = stallTimeout;
    List<TopicPartition> tps = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) {
      Range r = ranges.get(i);
      tps.add(r.partition());
      order.put(r.partition(), i);
      stops.put(r.partition(), r.stop());
      next.put(r.partition(), resumeAt.getOrDefault(r.partition(), r.start()));
      queues.put(r.partition(), new ArrayDeque<>());
    }
    consumer.assign(tps);
    for (TopicPartition tp : tps) {
      long from = next.get(tp);
      if (from < stops.get(tp)) {
        consumer.seek(tp, from);
        active.add(tp);
      } else {
        consumer.pause(List.of(tp));
        paused.add(tp);
      }
    }
  }

  List<Range> ranges() {
    return ranges;
  }

  /** The next offset to hand out per partition: where a resumed read starts. */
  Map<TopicPartition, Long> positions() {
    return new HashMap<>(next);
  }

  /** Offsets handed out so far over all partitions, and in all: for progress. */
  long done() {
    long n = 0;
    for (Range r : ranges) {
      n += next.get(r.partition()) - r.start();
    }
    return n;
  }

  long total() {
    long n = 0;
    for (Range r : ranges) {
      n += Math.max(0, r.stop() - r.start());
    }
    return n;
  }

  /** The next record in timestamp order, or null when every range is read. */
  ConsumerRecord<String, byte[]> next() {
    long stalledSince = -1;
    while (true) {
      boolean needMore = false;
      for (TopicPartition tp : List.copyOf(active)) {
        if (!queues.get(tp).isEmpty()) {
          continue;
        }
        if (next.get(tp) >= stops.get(tp) || consumer.position(tp) >= stops.get(tp)) {
          // gaps (transaction markers, compacted records) can end a range before its last offset
          active.remove(tp);
          next.put(tp, Math.max(next.get(tp), stops.get(tp)));
          pause(tp);
        } else {
          needMore = true;
        }
      }
      if (!needMore) {
        break;
      }
      ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(200));
      if (polled.isEmpty()) {
        long now = System.nanoTime();
        if (stalledSince < 0) {
          stalledSince = now;
        } else if (now - stalledSince > stallTimeout.toNanos()) {
          throw new IllegalStateException(
              "no records for "
                  + stallTimeout.toSeconds()
                  + " s while partitions still have some to read (is the broker reachable?): "
                  + waiting());
        }
        continue;
      }
      stalledSince = -1;
      for (TopicPartition tp : polled.partitions()) {
        ArrayDeque<ConsumerRecord<String, byte[]>> q = queues.get(tp);
        long stop = stops.get(tp);
        for (ConsumerRecord<String, byte[]> r : polled.records(tp)) {
          if (r.offset() < stop) {
            q.add(r);
          }
        }
        if (q.size() >= PAUSE_AT || consumer.position(tp) >= stop) {
          pause(tp);
        }
      }
    }
    TopicPartition best = null;
    ConsumerRecord<String, byte[]> head = null;
    Comparator<TopicPartition> byOrder = Comparator.comparing(order::get);
    for (TopicPartition tp : active) {
      ConsumerRecord<String, byte[]> h = queues.get(tp).peek();
      if (head == null
          || h.timestamp() < head.timestamp()
          || (h.timestamp() == head.timestamp() && byOrder.compare(tp, best) < 0)) {
        head = h;
        best = tp;
      }
    }
    if (best == null) {
      return null;
    }
    ArrayDeque<ConsumerRecord<String, byte[]>> q = queues.get(best);
    q.poll();
    next.put(best, head.offset() + 1);
    if (paused.contains(best)
        && q.size() < RESUME_BELOW
        && consumer.position(best) < stops.get(best)) {
      consumer.resume(List.of(best));
      paused.remove(best);
    }
    return head;
  }

  private void pause(TopicPartition tp) {
    if (paused.add(tp)) {
      consumer.pause(List.of(tp));
    }
  }

  private String waiting() {
    List<String> out = new ArrayList<>();
    for (TopicPartition tp : active) {
      if (queues.get(tp).isEmpty()) {
        out.add(tp + " at " + next.get(tp) + " of " + stops.get(tp));
      }
    }
    return String.join(", ", out);
  }
}
