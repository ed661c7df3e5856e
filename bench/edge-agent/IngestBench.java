// In-process cost per line of the agent's statsd path without the socket and Kafka: PacketIngester
// (fast
// line reader, series cache, full parser for the first line of a series) into the SeriesBatcher,
// drained at
// 10,000 samples into StatsdBatchWriter's Avro bytes, as the event loop does. The bench load's
// datagram
// (L lines alternating `peer.c:1|c` and `peer.t:N|ms`, 1,430 bytes at L=115), 5 rounds of 20 M
// lines;
// prints ns per line per round (read the last rounds: the first ones include the JIT's warm-up).
// Usage (under the exclusive bench lock; the sidecar's JIT flags, or without TieredStopAtLevel for
// C2):
//   mvn -B -q -o -pl edge-agent -am package -DskipTests
//   javac -cp edge-agent/target/fleetstats-edge-agent-*-all.jar -d /tmp/ib
// bench/edge-agent/IngestBench.java
//   flock -o /tmp/fleetstats-bench.lock java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx40m \
//     -cp /tmp/ib:$(ls edge-agent/target/fleetstats-edge-agent-*-all.jar) IngestBench 115
import io.fleetstats.edge.statsd.*;
import io.fleetstats.kit.ProcessIdentity;
import java.nio.charset.StandardCharsets;

public class IngestBench {
  public static void main(String[] a) {
    int L = Integer.parseInt(a.length > 0 ? a[0] : "115");
    SeriesBatcher b =
        new SeriesBatcher(
            new ProcessIdentity("c", "ns", "node", "pod", "ctr", "app"), "agent", 10_000);
    long[] bytes = new long[1];
    SampleSink sink =
        new SampleSink() {
          public void accept(StatsdSample s, long t) {
            b.add(s, t);
            if (b.isFull()) bytes[0] += b.drain(t).value().length;
          }

          public void accept(SeriesId id, double v, double r, boolean rel, long t) {
            b.add(id, v, r, rel, t);
            if (b.isFull()) bytes[0] += b.drain(t).value().length;
          }
        };
    PacketIngester in = new PacketIngester(new StatsdParser(), sink, new StatsdStats());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < L; i++) {
      if (i > 0) sb.append('\n');
      sb.append(i % 2 == 0 ? "peer.c:1|c" : "peer.t:" + (i * 37 % 1000) + "|ms");
    }
    byte[] d = sb.toString().getBytes(StandardCharsets.UTF_8);
    System.out.println("datagram bytes " + d.length);
    for (int round = 0; round < 5; round++) {
      int n = 200_000_000 / L / 10;
      long t0 = System.nanoTime();
      for (int k = 0; k < n; k++) in.ingest(d, 0, d.length, false, 1_764_000_000_000L + (k >> 10));
      long dt = System.nanoTime() - t0;
      System.out.printf(
          "round %d: %.1f ns/line (%d lines)%n", round, dt / (double) (n * (long) L), n * (long) L);
    }
    System.out.println("batch bytes written: " + bytes[0]); // keeps the work observable
  }
}
