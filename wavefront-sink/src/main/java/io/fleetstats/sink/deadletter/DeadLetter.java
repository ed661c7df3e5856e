package io.fleetstats.sink.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * One record that could not be delivered in full, as it goes to {@code <prefix>.deadletter}: the
 * original key and value bytes, untouched, plus headers saying why and where it came from.
 *
 * @param key the original record's key bytes (may be null)
 * @param value the original record's value bytes (may be null)
 * @param reason why, a lower-case label: a {@code LineValidator.Reason} label ({@code
 *     source_blank}, {@code rejected_by_proxy}, ...) or {@code undecodable}
 * @param line the first line of the record that was not sent (empty when there is none, e.g. an
 *     undecodable record)
 * @param detail human-readable detail (the failed check, the proxy's answer)
 * @param topic source topic
 * @param partition source partition
 * @param offset source offset
 */
public record DeadLetter(
    byte[] key, byte[] value, String reason, String line, String detail, String topic, int partition, long offset) {

  public static final String REASON = "fleetstats.reason";
  public static final String LINE = "fleetstats.line";
  public static final String DETAIL = "fleetstats.detail";
  public static final String TOPIC = "fleetstats.topic";
  public static final String PARTITION = "fleetstats.partition";
  public static final String OFFSET = "fleetstats.offset";

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
