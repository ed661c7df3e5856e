package io.fleetstats.sink.kit.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * What a dead letter becomes as a Kafka record: as it was, or cut so that the dead-letter producer
 * can never refuse it as too large (which would stall the sink on every retry).
 */
class DeadLetterWriterTest {
  private final DeadLetterWriter writer =
      new DeadLetterWriter(
          "fleetstats.deadletter",
          Map.of("bootstrap.servers", "unused:9092"),
          Duration.ofSeconds(1));

  private static DeadLetter letter(byte[] key, byte[] value, String line) {
    return new DeadLetter(
        key, value, "undecodable", line, "corrupt Aggregate", "fleetstats.aggregates", 0, 42);
  }

  @Test
  void keepsAnOrdinaryLetterAsItIs() {
    byte[] value = {1, 2, 3};
    ProducerRecord<byte[], byte[]> r = writer.record(letter("k".getBytes(), value, "line"));
    assertThat(r.topic()).isEqualTo("fleetstats.deadletter");
    assertThat(r.value()).isEqualTo(value);
    assertThat(r.headers().lastHeader(DeadLetterWriter.VALUE_BYTES)).isNull();
    assertThat(text(r.headers().lastHeader(DeadLetter.OFFSET))).isEqualTo("42");
  }

  @Test
  void cutsAValueOverTheLimitAndSaysHowLargeItWas() {
    byte[] value = new byte[10 * 1024 * 1024];
    Arrays.fill(value, (byte) 7);
    ProducerRecord<byte[], byte[]> r = writer.record(letter(null, value, ""));
    assertThat(r.value()).hasSize(DeadLetterWriter.MAX_VALUE_BYTES);
    assertThat(text(r.headers().lastHeader(DeadLetterWriter.VALUE_BYTES)))
        .isEqualTo(Integer.toString(10 * 1024 * 1024));
  }

  @Test
  void cutsAnOversizedKeyAndHeader() {
    String line = "x".repeat(100_000);
    ProducerRecord<byte[], byte[]> r = writer.record(letter(new byte[5_000], new byte[] {1}, line));
    assertThat(r.key()).hasSize(DeadLetterWriter.MAX_KEY_BYTES);
    assertThat(r.headers().lastHeader(DeadLetter.LINE).value())
        .hasSize(DeadLetterWriter.MAX_HEADER_BYTES);
    assertThat(text(r.headers().lastHeader(DeadLetter.REASON))).isEqualTo("undecodable");
  }

  private static String text(Header h) {
    return new String(h.value(), StandardCharsets.UTF_8);
  }
}
