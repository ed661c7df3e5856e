package io.fleetstats.sink.prometheus.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.prometheus.format.LabelSet;
import io.fleetstats.sink.prometheus.format.PromSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The bytes written directly are the generated classes' bytes for the same request: the same
 * message, field for field, including proto3's left-out defaults, long names (two-byte lengths),
 * non-ASCII values, capital label names sorted before {@code __name__}, runs of one series.
 */
class RequestWriterTest {
  @Test
  void writesExactlyWhatTheGeneratedClassesWrite() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      List<LabelSet> sets = new ArrayList<>();
      for (int s = 0; s < 1 + random.nextInt(4); s++) {
        TreeMap<String, String> labels = new TreeMap<>();
        for (int l = 0; l < random.nextInt(8); l++) {
          String name = (random.nextBoolean() ? "Zone" : "pod") + l;
          labels.put(name, "v" + "é".repeat(random.nextInt(3)) + "x".repeat(random.nextInt(200)));
        }
        sets.add(new LabelSet(labels));
      }
      List<PromSample> samples = new ArrayList<>();
      for (int k = 0; k < random.nextInt(50); k++) {
        String name = "m_" + random.nextInt(3) + "_".repeat(random.nextInt(150));
        LabelSet set = sets.get(random.nextInt(sets.size()));
        double value =
            switch (random.nextInt(5)) {
              case 0 -> 0.0;
              case 1 -> -0.0;
              case 2 -> random.nextDouble() * 1e6;
              case 3 -> Double.NaN;
              default -> -random.nextInt(100);
            };
        long timestamp = random.nextInt(4) == 0 ? 0 : 1_764_086_400_000L + random.nextInt(1000);
        int repeat = 1 + random.nextInt(3); // a run of samples of one series
        for (int r = 0; r < repeat; r++) {
          samples.add(new PromSample(name, set, value + r, timestamp + r));
        }
      }
      assertThat(RequestWriter.write(samples))
          .as("round %d", round)
          .isEqualTo(WriteRequests.request(samples).toByteArray());
    }
  }
}
