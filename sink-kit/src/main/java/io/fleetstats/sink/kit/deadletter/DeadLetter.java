package io.fleetstats.sink.kit.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * One record that could not be delivered in full, as it goes to {@code <prefix>.deadletter}: the
 * original key and value bytes, untouched, plus headers saying why and where it came from. The
 * original bytes are what makes a dead letter replayable: once the cause is fixed, its value is
 * copied back to the source topic as it is.
 *
 * @param key the original record's key bytes (may be null)
 * @param value the original record's value bytes (may be null)
 * @param reason why, a lower-case label: the sink's own ({@code source_blank}, {@code
 *     rejected_by_proxy}, ...) or {@code undecodable}
 * @param line the first item of the record that was not sent, as text (empty when there is none,
 *     e.g. an undecodable record)
 * @param detail human-readable detail (the failed check, the receiver's answer)
 * @param topic source topic
 * @param partition source partition
 * @param offset source offset
 */
public record DeadLetter(
    byte[] key,
    byte[] value,
    String reason,
    String line,
    String detail,
    String topic,
    int partition,
    long offset) {

  public static final String REASON = "fleetstats.reason";
  public static final String LINE = "fleetstats.line";
  public static final String DETAIL = "fleetstats.detail";
  public static final String TOPIC = "fleetstats.topic";
  public static final String PARTITION = "fleetstats.partition";
  public static final String OFFSET = "fleetstats.offset";

  /** The dead letter of {@code record}. */
  public static DeadLetter of(
      ConsumerRecord<byte[], byte[]> record, String reason, String line, String detail) {
    return new DeadLetter(
        record.key(),
        record.value(),
        reason,
        line,
        detail,
        record.topic(),
        record.partition(),
        record.offset());
  }

  /** The headers, values UTF-8 text. */
  public List<Header> headers() {
    return List.of(
        header(REASON, reason),
        header(LINE, line),
        header(DETAIL, detail),
        header(TOPIC, topic),
        header(PARTITION, Integer.toString(partition)),
        header(OFFSET, Long.toString(offset)));
  }

  private static Header header(String key, String value) {
    return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
