package io.fleetstats.stream;

import io.fleetstats.kit.LogThrottle;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records of the raw topics that do not decode: each is skipped, copied to the dead-letter topic
 * (original key, value cut to {@link #MAX_DEAD_LETTER_VALUE} bytes, headers saying why and where
 * from, as the sinks write theirs), counted by topic and {@link Reason}, and logged (throttled)
 * with its topic, partition and offset and what to do. The stream thread keeps running; the records
 * after a bad one are aggregated as usual.
 *
 * <p>Kafka Streams creates its {@link Handler} from the class name; the instance that counts is
 * handed to it through the Streams properties under {@link #CONFIG}, so the service's meter
 * registry sees the counts.
 */
public final class UndecodableRecords {
  private static final Logger log = LoggerFactory.getLogger(UndecodableRecords.class);

  /** Streams property that carries the instance to {@link Handler#configure}. */
  public static final String CONFIG = "fleetstats.undecodable.records";

  /**
   * Largest value copied to the dead-letter topic: a bigger one (the raw topics may allow records
   * larger than the producer's {@code max.request.size}) is cut, its full size in a header, so the
   * copy can never fail the transaction and stop the processor.
   */
  public static final int MAX_DEAD_LETTER_VALUE = 512 * 1024;

  /** Header names, as the sinks' dead letters have them. */
  public static final String REASON = "fleetstats.reason";

  public static final String DETAIL = "fleetstats.detail";
  public static final String TOPIC = "fleetstats.topic";
  public static final String PARTITION = "fleetstats.partition";
  public static final String OFFSET = "fleetstats.offset";

  /** Original size of the value in bytes, present when the copy was cut. */
  public static final String VALUE_BYTES = "fleetstats.value.bytes";

  /** Why a record did not decode, with what to do about it. */
  public enum Reason {
    /** No Avro single-object marker: something other than a Fleetstats producer wrote it. */
    NOT_AVRO(
        "a producer other than Fleetstats writes to this topic: find it by its client id in the"
            + " broker's request log and point it elsewhere"),
    /** A marker and a schema fingerprint this version does not know. */
    UNKNOWN_SCHEMA(
        "the writer's schema is newer than this processor's or foreign: upgrade the stream"
            + " processor before the agents, or find the producer"),
    /** A known schema whose body does not decode (truncated, damaged). */
    CORRUPT(
        "the body does not decode with its schema (truncated or damaged): check the producer's"
            + " serializer; the original bytes are in the dead-letter topic");

    private final String hint;

    Reason(String hint) {
      this.hint = hint;
    }

    /** What an operator should do. */
    public String hint() {
      return hint;
    }

    /** The meter's {@code reason} tag and the dead letter's header. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The reason for what a deserializer threw. */
    public static Reason of(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BadHeaderException) {
          return NOT_AVRO;
        }
        if (t instanceof MissingSchemaException) {
          return UNKNOWN_SCHEMA;
        }
      }
      return CORRUPT;
    }
  }

  private final String deadLetterTopic;
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
  private volatile MeterRegistry registry;

  /**
   * @param deadLetterTopic where the copies go ({@code fleetstats.deadletter})
   */
  public UndecodableRecords(String deadLetterTopic) {
    this.deadLetterTopic = deadLetterTopic;
  }

  /**
   * Registers {@code fleetstats.stream.records.undecodable{topic, reason}} for every count so far
   * and every one to come.
   */
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    counts.forEach(this::register);
  }

  private void register(String key, AtomicLong count) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    int bar = key.indexOf('|');
    FunctionCounter.builder("fleetstats.stream.records.undecodable", count, AtomicLong::get)
        .description(
            "raw records skipped because they do not decode, copied to the dead-letter topic")
        .tag("topic", key.substring(0, bar))
        .tag("reason", key.substring(bar + 1))
        .register(r);
  }

  /** Records of {@code topic} skipped for {@code reason} since start. */
  public long count(String topic, Reason reason) {
    AtomicLong c = counts.get(topic + '|' + reason.label());
    return c == null ? 0 : c.get();
  }

  /** Records skipped since start, over all topics and reasons. */
  public long total() {
    return counts.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /** Counts and logs one record, and returns its dead letter. */
  ProducerRecord<byte[], byte[]> skip(
      String topic, int partition, long offset, byte[] key, byte[] value, Exception e) {
    Reason reason = Reason.of(e);
    counts
        .computeIfAbsent(
            topic + '|' + reason.label(),
            k -> {
              AtomicLong c = new AtomicLong();
              register(k, c);
              return c;
            })
        .incrementAndGet();
    String detail = String.valueOf(e.getMessage());
    long held = throttle.tryAcquire(topic + '|' + reason);
    if (held >= 0) {
      log.warn(
          "skipped record {}-{}@{} ({} bytes): {} ({}); copied to {}; {} ({} more since the last"
              + " message)",
          topic,
          partition,
          offset,
          value == null ? 0 : value.length,
          reason.label(),
          detail,
          deadLetterTopic,
          reason.hint(),
          held);
    }
    byte[] copy = value;
    List<Header> headers =
        new java.util.ArrayList<>(
            List.of(
                header(REASON, reason.label()),
                header(DETAIL, detail),
                header(TOPIC, topic),
                header(PARTITION, Integer.toString(partition)),
                header(OFFSET, Long.toString(offset))));
    if (value != null && value.length > MAX_DEAD_LETTER_VALUE) {
      copy = Arrays.copyOf(value, MAX_DEAD_LETTER_VALUE);
      headers.add(header(VALUE_BYTES, Integer.toString(value.length)));
    }
    byte[] k = key != null && key.length > 1024 ? Arrays.copyOf(key, 1024) : key;
    return new ProducerRecord<>(deadLetterTopic, null, k, copy, headers);
  }

  private static Header header(String key, String value) {
    return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Kafka Streams' deserialization handler: skips the record, and has Streams write its dead letter
   * in the same transaction as the offsets that pass it.
   */
  public static final class Handler implements DeserializationExceptionHandler {
    private UndecodableRecords records;

    @Override
    public void configure(Map<String, ?> configs) {
      Object given = configs.get(CONFIG);
      records =
          given instanceof UndecodableRecords r
              ? r
              : new UndecodableRecords(io.fleetstats.schemas.Topics.defaults().deadletter().name());
    }

    @Override
    public Response handleError(
        ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
      return Response.resume(
          List.of(
              records.skip(
                  record.topic(),
                  record.partition(),
                  record.offset(),
                  record.key(),
                  record.value(),
                  exception)));
    }
  }
}
