package io.fleetstats.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class AggregateCompatibilityTest {
  private static final Schema V1 = SchemaHistory.load("Aggregate-1.avsc");

  @Test
  void currentSchemaReadsEveryReleasedOne() {
    assertThat(
            SchemaCompatibility.checkReaderWriterCompatibility(Aggregate.getClassSchema(), V1)
                .getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void decodesAnAggregateWrittenWithTheFirstSchemaAsAFirstEmission() throws IOException {
    GenericRecord old = new GenericData.Record(V1);
    old.put("name", "hits");
    old.put("metricType", "counter");
    old.put("source", "node-1");
    old.put("tags", Map.of("metric_type", "counter"));
    old.put("windowStart", 10_000L);
    old.put("windowEnd", 20_000L);
    old.put("fields", Map.of("value", 3.0));
    old.put("sketch", ByteBuffer.wrap(new byte[] {1, 2}));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V1).encode(old, out);

    Aggregate read = Topics.AGGREGATE.decode(out.toByteArray());

    assertThat(read.getName()).isEqualTo("hits");
    assertThat(read.getFields()).containsEntry("value", 3.0);
    assertThat(read.getCorrection()).isNull();
    assertThat(read.getVerbatim()).isFalse();
  }

  @Test
  void aCorrectionRoundTrips() {
    Aggregate a =
        Aggregate.newBuilder()
            .setName("hits")
            .setMetricType("counter")
            .setSource("node-1")
            .setWindowStart(10_000L)
            .setWindowEnd(20_000L)
            .setFields(Map.of("value", 5.0))
            .setCorrection(Correction.newBuilder().setFields(Map.of("value", 2.0)).build())
            .build();

    Aggregate read = Topics.AGGREGATE.decode(Topics.AGGREGATE.encode(a));

    assertThat(read.getCorrection().getFields()).containsExactly(Map.entry("value", 2.0));
    assertThat(read.getFields()).containsExactly(Map.entry("value", 5.0));
  }
}
