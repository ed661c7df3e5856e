package io.fleetstats.stream.topology;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;

/**
 * The raw batches a task has already aggregated, by the edge agent's batch id (its {@code agentId},
 * one per agent incarnation, and {@code sequence}, from 1 up by one per batch): a batch that
 * reaches Kafka twice, as the spool's copy after an agent restart, a send retried after the
 * idempotent producer gave up (delivery timeout), a spool replayed by hand or a record MirrorMaker
 * 2 copied again after a crash, is counted once. A batch with no id (sequence 0, an empty agent id:
 * older agents and other writers) is always aggregated.
 *
 * <p>Per agent the sequences seen are kept as sorted, disjoint ranges: an agent sends in order, so
 * this is one range, a few while a spool drains beside newer batches. At most {@link #MAX_RANGES}
 * are kept (the oldest merged into the next), and an agent silent for longer than the allowed
 * lateness is forgotten: a batch older than that is late for its windows anyway.
 *
 * <p>Each change is written at once to the task's store under {@value #PREFIX}{@code <agent id>},
 * so it commits in the same transaction as the windows the batch changed; the ids are read back
 * from the store when the task starts.
 */
final class BatchIds {
  static final String PREFIX = "~seq|";

  /** Most sequence ranges kept per agent. */
  static final int MAX_RANGES = 16;

  private static final class Agent {
    /** Ranges [lo, hi] inclusive: lo at 2k, hi at 2k+1, sorted, disjoint, not adjacent. */
    long[] ranges = new long[0];

    long seenAt;
  }

  private final LiveWindowStore<?> store;
  private final Map<String, Agent> agents = new HashMap<>();

  BatchIds(LiveWindowStore<?> store) {
    this.store = store;
    for (KeyValue<String, byte[]> kv : store.metaWithPrefix(PREFIX)) {
      Agent a = decode(kv.value);
      if (a != null) {
        agents.put(kv.key.substring(PREFIX.length()), a);
      }
    }
  }

  /**
   * Records batch {@code sequence} of {@code agentId}, seen at wall-clock time {@code now}.
   *
   * @return false when that batch was aggregated before (a duplicate), true otherwise
   */
  boolean firstTime(String agentId, long sequence, long now) {
    if (sequence <= 0 || agentId.isEmpty()) {
      return true;
    }
    Agent a = agents.computeIfAbsent(agentId, k -> new Agent());
    long[] r = a.ranges;
    int n = r.length / 2;
    // the first range whose hi >= sequence - 1 (the one sequence joins or precedes)
    int i = 0;
    while (i < n && r[2 * i + 1] < sequence - 1) {
      i++;
    }
    if (i < n && r[2 * i] <= sequence && sequence <= r[2 * i + 1]) {
      return false;
    }
    if (i < n && r[2 * i + 1] == sequence - 1) {
      r[2 * i + 1] = sequence;
      if (i + 1 < n && r[2 * i + 2] == sequence + 1) {
        // it closes the gap to the next range
        r[2 * i + 1] = r[2 * i + 3];
        a.ranges = remove(r, i + 1);
      }
    } else if (i < n && r[2 * i] == sequence + 1) {
      r[2 * i] = sequence;
    } else {
      long[] grown = new long[r.length + 2];
      System.arraycopy(r, 0, grown, 0, 2 * i);
      grown[2 * i] = sequence;
      grown[2 * i + 1] = sequence;
      System.arraycopy(r, 2 * i, grown, 2 * i + 2, r.length - 2 * i);
      if (grown.length / 2 > MAX_RANGES) {
        // the oldest gap is forgotten: its batches, if they ever come, count as seen
        grown[3] = Math.max(grown[1], grown[3]);
        grown[2] = grown[0];
        grown = remove(grown, 0);
      }
      a.ranges = grown;
    }
    a.seenAt = now;
    store.putMeta(PREFIX + agentId, encode(a));
    return true;
  }

  /** Forgets the agents silent since before {@code before} (wall clock). */
  void forgetSilentSince(long before) {
    Iterator<Map.Entry<String, Agent>> it = agents.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Agent> e = it.next();
      if (e.getValue().seenAt < before) {
        store.deleteMeta(PREFIX + e.getKey());
        it.remove();
      }
    }
  }

  /** Agents with ids kept (for tests). */
  int agents() {
    return agents.size();
  }

  /** The ranges kept for {@code agentId}, [lo, hi] pairs (for tests). */
  long[] ranges(String agentId) {
    Agent a = agents.get(agentId);
    return a == null ? new long[0] : a.ranges.clone();
  }

  private static long[] remove(long[] r, int range) {
    long[] out = new long[r.length - 2];
    System.arraycopy(r, 0, out, 0, 2 * range);
    System.arraycopy(r, 2 * range + 2, out, 2 * range, r.length - 2 * range - 2);
    return out;
  }

  private static byte[] encode(Agent a) {
    ByteBuffer b = ByteBuffer.allocate(Long.BYTES * (1 + a.ranges.length));
    b.putLong(a.seenAt);
    for (long v : a.ranges) {
      b.putLong(v);
    }
    return b.array();
  }

  private static Agent decode(byte[] bytes) {
    if (bytes.length < Long.BYTES
        || (bytes.length / Long.BYTES) % 2 != 1
        || bytes.length % Long.BYTES != 0) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    Agent a = new Agent();
    a.seenAt = b.getLong();
    a.ranges = new long[(bytes.length / Long.BYTES) - 1];
    for (int i = 0; i < a.ranges.length; i++) {
      a.ranges[i] = b.getLong();
    }
    return a;
  }
}
