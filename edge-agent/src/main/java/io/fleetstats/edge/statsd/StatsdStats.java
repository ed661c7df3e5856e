package io.fleetstats.edge.statsd;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the statsd listener, cumulative since start. Updated by the event loop, read from
 * any thread.
 */
public final class StatsdStats {
  private final LongAdder packets = new LongAdder();
  private final LongAdder truncatedPackets = new LongAdder();
  private final LongAdder lines = new LongAdder();
  private final LongAdder samples = new LongAdder();
  private final Map<RejectReason, LongAdder> rejected = new EnumMap<>(RejectReason.class);

  public StatsdStats() {
    for (RejectReason r : RejectReason.values()) {
      rejected.put(r, new LongAdder());
    }
  }

  /** Datagrams received. */
  public long packets() {
    return packets.sum();
  }

  /** Datagrams that filled the receive buffer and were probably cut by the OS. */
  public long truncatedPackets() {
    return truncatedPackets.sum();
  }

  /** Non-empty lines received, accepted or not. */
  public long lines() {
    return lines.sum();
  }

  /** Samples taken from accepted lines. */
  public long samples() {
    return samples.sum();
  }

  /** Lines rejected for {@code reason}. */
  public long rejected(RejectReason reason) {
    return rejected.get(reason).sum();
  }

  /** Lines rejected for any reason. */
  public long rejectedTotal() {
    long total = 0;
    for (LongAdder a : rejected.values()) {
      total += a.sum();
    }
    return total;
  }

  void packetReceived() {
    packets.increment();
  }

  void packetTruncated() {
    truncatedPackets.increment();
  }

  void lineReceived() {
    lines.increment();
  }

  void samplesAccepted(int n) {
    samples.add(n);
  }

  void lineRejected(RejectReason reason) {
    rejected.get(reason).increment();
  }
}
