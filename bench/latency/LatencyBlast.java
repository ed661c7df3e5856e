import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * LatencyBlast: steady statsd traffic over a fixed set of series, for the end-to-end latency
 * benchmark. Series: PODS pods (DogStatsD tag {@code pod_name:pod-N}) times NAMES names, each name
 * a counter {@code lat.mK.requests} and a timer {@code lat.mK.time}, so 2 × PODS × NAMES series.
 * Datagrams of LINES_PER_DATAGRAM lines are paced evenly over each second (sleeping to a schedule,
 * not bursting), cycling through every series.
 *
 * <p>Usage: java LatencyBlast PORT RATE_LINES_PER_S SECONDS PODS NAMES LINES_PER_DATAGRAM. Prints
 * one line: {@code start_ms=<epoch ms> end_ms=<epoch ms> sent_lines=<n> late_datagrams=<n>}
 * (datagrams sent more than 50 ms behind schedule: the generator could not keep the rate).
 */
public class LatencyBlast {
  public static void main(String[] a) throws Exception {
    if (a.length != 6) {
      System.err.println(
          "usage: LatencyBlast PORT RATE_LINES_PER_S SECONDS PODS NAMES LINES_PER_DATAGRAM");
      System.exit(2);
    }
    int port = Integer.parseInt(a[0]);
    long rate = Long.parseLong(a[1]);
    int seconds = Integer.parseInt(a[2]);
    int pods = Integer.parseInt(a[3]);
    int names = Integer.parseInt(a[4]);
    int perDatagram = Integer.parseInt(a[5]);
    if (rate < 1 || rate > 1_000_000 || seconds < 1 || pods < 1 || names < 1 || perDatagram < 1) {
      throw new IllegalArgumentException(
          "out of bounds: RATE 1..1000000, SECONDS, PODS, NAMES, LINES_PER_DATAGRAM >= 1");
    }
    // every series' line, then datagrams cut from the cycle of lines
    int series = 2 * pods * names;
    String[] lines = new String[series];
    int i = 0;
    for (int p = 0; p < pods; p++) {
      for (int n = 0; n < names; n++) {
        String tags = "|#pod_name:pod-" + p;
        lines[i++] = "lat.m" + n + ".requests:1|c" + tags;
        lines[i++] = "lat.m" + n + ".time:" + (1 + (n * 37 + p * 11) % 500) + "|ms" + tags;
      }
    }
    int cycle = series * perDatagram; // lines in a whole number of datagrams covering every series
    int datagramsInCycle = cycle / perDatagram;
    byte[][] payloads = new byte[datagramsInCycle][];
    for (int d = 0; d < datagramsInCycle; d++) {
      StringBuilder b = new StringBuilder();
      for (int k = 0; k < perDatagram; k++) {
        if (k > 0) {
          b.append('\n');
        }
        b.append(lines[(d * perDatagram + k) % series]);
      }
      payloads[d] = b.toString().getBytes(StandardCharsets.UTF_8);
    }
    long datagramsPerSecond = Math.max(1, rate / perDatagram);
    long total = datagramsPerSecond * seconds;
    InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
    long late = 0;
    try (DatagramChannel ch = DatagramChannel.open()) {
      long startMs = System.currentTimeMillis();
      long start = System.nanoTime();
      for (long n = 0; n < total; n++) {
        long due = start + n * 1_000_000_000L / datagramsPerSecond;
        long wait = due - System.nanoTime();
        if (wait > 100_000) {
          LockSupport.parkNanos(wait);
        } else if (wait < -50_000_000) {
          late++;
        }
        ch.send(ByteBuffer.wrap(payloads[(int) (n % datagramsInCycle)]), target);
      }
      long endMs = System.currentTimeMillis();
      System.out.printf(
          "start_ms=%d end_ms=%d sent_lines=%d late_datagrams=%d%n",
          startMs, endMs, total * perDatagram, late);
    }
  }
}
