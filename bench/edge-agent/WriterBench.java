// In-process cost of the agent's batch encoding (SeriesBatcher.add and drain = build +
// StatsdBatchWriter),
// 2,000 batches of 10,000 samples (two series, as the bench load), third round printed.
// Usage (under the exclusive bench lock; the sidecar's JIT flags):
//   mvn -B -q -o -pl edge-agent -am package -DskipTests
//   javac -cp edge-agent/target/fleetstats-edge-agent-*-all.jar -d /tmp/wb
// bench/edge-agent/WriterBench.java
//   flock /tmp/fleetstats-bench.lock java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx40m \
//     -cp /tmp/wb:$(ls edge-agent/target/fleetstats-edge-agent-*-all.jar) WriterBench
import io.fleetstats.edge.statsd.MetricType;
import io.fleetstats.edge.statsd.SeriesBatcher;
import io.fleetstats.edge.statsd.SeriesId;
import io.fleetstats.kit.ProcessIdentity;
import java.util.Map;

public class WriterBench {
  public static void main(String[] a) {
    SeriesBatcher b =
        new SeriesBatcher(
            new ProcessIdentity("c", "ns", "node", "pod", "ctr", "app"), "agent", 10_000);
    SeriesId c = new SeriesId("peer.c", MetricType.COUNTER, Map.of());
    SeriesId t = new SeriesId("peer.t", MetricType.TIMER, Map.of());
    long sink = 0;
    for (int round = 0; round < 3; round++) {
      long addNs = 0, drainNs = 0;
      int batches = 2000;
      for (int k = 0; k < batches; k++) {
        long t0 = System.nanoTime();
        long now = 1_764_000_000_000L + k / 5;
        for (int i = 0; i < 5000; i++) {
          b.add(c, 1.0, 1.0, false, now);
          b.add(t, (i * 37) % 1000, 1.0, false, now);
        }
        long t1 = System.nanoTime();
        sink += b.drain(now).value().length;
        drainNs += System.nanoTime() - t1;
        addNs += t1 - t0;
      }
      System.out.printf(
          "round %d: add %.1f ns/sample, drain (build+write) %.1f ns/sample, bytes/batch %d%n",
          round,
          addNs / (batches * 10000.0),
          drainNs / (batches * 10000.0),
          sink / ((round + 1L) * batches));
    }
  }
}
