package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.StatsdBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The batcher writes a type as its index, which must be the Avro enum's symbol index. */
class MetricTypeTest {
  @Test
  void metricTypesHaveTheAvroEnumsSymbolsInItsOrder() {
    assertThat(Arrays.stream(MetricType.values()).map(Enum::name))
        .containsExactlyElementsOf(
            StatsdBatch.getClassSchema()
                .getField("series")
                .schema()
                .getElementType()
                .getField("type")
                .schema()
                .getEnumSymbols());
  }
}
