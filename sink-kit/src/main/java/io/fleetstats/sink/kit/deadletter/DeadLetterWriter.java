package io.fleetstats.sink.kit.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes {@link DeadLetter}s and waits until the broker has them ({@code acks=all}, idempotent
 * producer), so the caller may commit the source offsets afterwards and never loses a record that
 * was neither delivered nor dead-lettered. Created lazily: a sink that never dead-letters never
 * opens a producer.
 */
public final class DeadLetterWriter implements AutoCloseable {
  /**
   * Largest value written as it is: a bigger one (a source topic may allow records larger than this
   * producer's {@code max.request.size}, or the dead-letter topic's {@code max.message.bytes}) is
   * cut to this many bytes and its full size put in header {@value #VALUE_BYTES}. Written whole, it
   * would be refused as too large on every retry and stop the sink's progress for good.
   */
  public static final int MAX_VALUE_BYTES = 512 * 1024;

  /** Header with the original value's size in bytes, present when the value was cut. */
  public static final String VALUE_BYTES = "fleetstats.value.bytes";

  /** Keys longer than this are cut too (without a header: the source offset identifies it). */
  static final int MAX_KEY_BYTES = 1024;

  /** Header values (a refused line, a receiver's answer) longer than this are cut too. */
  static final int MAX_HEADER_BYTES = 16 * 1024;

  private final String topic;
  private final Map<String, Object> props;
  private final Duration timeout;
  private KafkaProducer<byte[], byte[]> producer;

  /**
   * @param topic the dead-letter topic
   * @param kafkaProps bootstrap and pass-through client properties (with the {@code client.id})
   * @param timeout how long one {@link #write} may wait for the broker
   */
  public DeadLetterWriter(String topic, Map<String, Object> kafkaProps, Duration timeout) {
    this.topic = topic;
    this.timeout = timeout;
    Map<String, Object> p = new HashMap<>(kafkaProps);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "fleetstats-sink-deadletter");
    p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ms);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(ms, 30_000));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, ms);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.props = p;
  }

  public String topic() {
    return topic;
  }

  /**
   * Sends every letter and waits for the broker's acknowledgement of all of them.
   *
   * @throws DeadLetterException if any was not acknowledged in time (the caller must not commit)
   */
  public void write(List<DeadLetter> letters) throws DeadLetterException, InterruptedException {
    if (letters.isEmpty()) {
      return;
    }
    try {
      if (producer == null) {
        producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
      }
      List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
      for (DeadLetter l : letters) {
        acks.add(producer.send(record(l)));
      }
      producer.flush();
      long deadline = System.nanoTime() + timeout.toNanos();
      for (Future<RecordMetadata> ack : acks) {
        ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException e) {
      reset();
      throw new DeadLetterException(
          "could not write to " + topic + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      reset();
      throw new DeadLetterException(
          "no acknowledgement from Kafka for " + topic + " within " + timeout.toMillis() + " ms",
          e);
    } catch (org.apache.kafka.common.KafkaException e) {
      reset();
      throw new DeadLetterException("could not write to " + topic + ": " + e, e);
    }
  }

  /** The record of a letter: key and value as they were, or cut to the limits above. */
  ProducerRecord<byte[], byte[]> record(DeadLetter l) {
    byte[] value = l.value();
    List<Header> headers = new ArrayList<>();
    for (Header h : l.headers()) {
      headers.add(
          h.value() != null && h.value().length > MAX_HEADER_BYTES
              ? new RecordHeader(h.key(), Arrays.copyOf(h.value(), MAX_HEADER_BYTES))
              : h);
    }
    if (value != null && value.length > MAX_VALUE_BYTES) {
      headers.add(
          new RecordHeader(
              VALUE_BYTES, Integer.toString(value.length).getBytes(StandardCharsets.UTF_8)));
      value = Arrays.copyOf(value, MAX_VALUE_BYTES);
    }
    byte[] key = l.key();
    if (key != null && key.length > MAX_KEY_BYTES) {
      key = Arrays.copyOf(key, MAX_KEY_BYTES);
    }
    return new ProducerRecord<>(topic, null, key, value, headers);
  }

  // A producer that failed may be in a fatal state (e.g. an idempotence error): start afresh.
  // Letters it may still deliver are harmless duplicates on a retry.
  private void reset() {
    if (producer != null) {
      producer.close(Duration.ZERO);
      producer = null;
    }
  }

  /** A dead-letter write that was not acknowledged. */
  public static final class DeadLetterException extends Exception {
    private static final long serialVersionUID = 1L;

    DeadLetterException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
