package io.fleetstats.edge.statsd;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the statsd listener, cumulative since start. Updated by the event loop, read from any
 * thread.
 */
public final class StatsdStats {
  private final LongAdder packets = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final LongAdder tcpLines = new LongAdder();
  private final LongAdder tcpConnectionsOpened = new LongAdder();
  private final LongAdder tcpConnectionsRefused = new LongAdder();
  private final java.util.concurrent.atomic.AtomicInteger tcpConnections =
      new java.util.concurrent.atomic.AtomicInteger();
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

  /** Bytes of payload received (datagrams and TCP lines). */
  public long bytes() {
    return bytes.sum();
  }

  /** Lines received over TCP (they are also in {@link #lines()}). */
  public long tcpLines() {
    return tcpLines.sum();
  }

  /** TCP connections accepted since start. */
  public long tcpConnectionsOpened() {
    return tcpConnectionsOpened.sum();
  }

  /**
   * TCP connections closed at once because {@code FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS} were open.
   */
  public long tcpConnectionsRefused() {
    return tcpConnectionsRefused.sum();
  }

  /** TCP connections open now. */
  public int tcpConnections() {
    return tcpConnections.get();
  }

  /** Datagrams larger than the receive buffer, cut by the OS. */
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

  void packetReceived(int size) {
    packets.increment();
    bytes.add(size);
  }

  void tcpLineReceived(int size) {
    tcpLines.increment();
    bytes.add(size);
  }

  /** Takes a connection slot; false (and counted as refused) when {@code max} are open. */
  boolean tcpConnectionOpened(int max) {
    while (true) {
      int open = tcpConnections.get();
      if (open >= max) {
        tcpConnectionsRefused.increment();
        return false;
      }
      if (tcpConnections.compareAndSet(open, open + 1)) {
        tcpConnectionsOpened.increment();
        return true;
      }
    }
  }

  void tcpConnectionClosed() {
    tcpConnections.decrementAndGet();
  }

  void packetTruncated() {
    truncatedPackets.increment();
  }

  void linesReceived(int n) {
    if (n > 0) {
      lines.add(n);
    }
  }

  void samplesAccepted(int n) {
    if (n > 0) {
      samples.add(n);
    }
  }

  void lineRejected(RejectReason reason) {
    rejected.get(reason).increment();
  }
}
