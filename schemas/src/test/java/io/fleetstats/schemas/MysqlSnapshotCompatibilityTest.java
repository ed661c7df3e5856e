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

class MysqlSnapshotCompatibilityTest {
  private static final Schema V1 = SchemaHistory.load("MysqlSnapshot-1.avsc");

  @Test
  void currentSchemaReadsEveryReleasedOne() {
    assertThat(
            SchemaCompatibility.checkReaderWriterCompatibility(MysqlSnapshot.getClassSchema(), V1)
                .getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void decodesASnapshotWrittenWithTheFirstSchemaFillingDefaults() throws IOException {
    GenericRecord source = new GenericData.Record(Source.getClassSchema());
    source.put("cluster", "c");
    source.put("namespace", "n");
    source.put("node", "node-1");
    source.put("pod", "mysql-0");
    source.put("container", "");
    source.put("app", "");
    GenericRecord old = new GenericData.Record(V1);
    old.put("source", source);
    old.put("server", "127.0.0.1:3306");
    old.put("takenAt", 1000L);
    old.put("counters", Map.of("questions", 5.0));
    old.put("gauges", Map.of("threads_connected", 2.0));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V1).encode(old, out);

    MysqlSnapshot read = Topics.MYSQL_SNAPSHOT.decode(out.toByteArray());

    assertThat(read.getServer()).isEqualTo("127.0.0.1:3306");
    assertThat(read.getCounters()).containsEntry("questions", 5.0);
    assertThat(read.getGauges()).containsEntry("threads_connected", 2.0);
    assertThat(read.getSeries()).isEmpty();
    assertThat(read.getFlavor()).isEmpty();
  }
}
