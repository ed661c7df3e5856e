package io.fleetstats.edge.publish;

/**
 * A batch serialized for Kafka, waiting to be sent: its size in memory is known exactly, so the
 * outage buffer is bounded in bytes.
 *
 * @param key the serialized Kafka key (the source id)
 * @param value the serialized {@code StatsdBatch}
 * @param timestamp the Kafka record timestamp (the batch's {@code createdAt}), epoch ms
 * @param samples samples in the batch, for exact drop accounting
 * @param sequence the batch's sequence number, for log lines
 */
public record PendingBatch(byte[] key, byte[] value, long timestamp, int samples, long sequence) {
  /** Bytes this batch holds in memory: payload plus a fixed allowance for the objects. */
  long bytes() {
    return key.length + value.length + 96L;
  }
}
