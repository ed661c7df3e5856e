package io.fleetstats.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
  void anAggregateWrittenBeforeVerbatimIsReadAsNotVerbatim() throws IOException {
    GenericRecord old = new GenericData.Record(V1);
    old.put("name", "fitcycle-api-server.prospectPullTime");
    old.put("metricType", "timing");
    old.put("source", "node-1");
    old.put("tags", Map.of("pod_name", "api-1"));
    old.put("windowStart", 10_000L);
    old.put("windowEnd", 20_000L);
    old.put("fields", Map.of("count", 3.0));
    old.put("sketch", null);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V1).encode(old, out);

    Aggregate read = Topics.AGGREGATE.decode(out.toByteArray());

    assertThat(read.getName()).isEqualTo("fitcycle-api-server.prospectPullTime");
    assertThat(read.getFields()).containsEntry("count", 3.0);
    assertThat(read.getVerbatim()).isFalse();
  }
}
