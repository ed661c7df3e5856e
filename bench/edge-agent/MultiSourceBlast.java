import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * MultiSourceBlast: statsd from N "pods" on one node, each a UDP socket bound to its own loopback
 * address (127.0.0.2, 127.0.0.3, ...), as a node agent receives them; one thread, datagrams paced
 * round-robin over the sources.
 *
 * <p>Usage: java MultiSourceBlast PORT RATE_LINES_PER_S LINES_PER_DATAGRAM SECONDS SOURCES. Lines
 * alternate {@code app.requests:1|c} and {@code app.latency:N|ms}. Bounds: SOURCES <= 200, RATE <=
 * 2,000,000, SECONDS <= 600. Output (one line): sources, datagrams and lines sent, elapsed seconds.
 */
public class MultiSourceBlast {
  public static void main(String[] a) throws Exception {
    if (a.length < 5) {
      System.err.println("usage: MultiSourceBlast PORT RATE LINES_PER_DATAGRAM SECONDS SOURCES");
      System.exit(2);
    }
    int port = Integer.parseInt(a[0]);
    long rate = Long.parseLong(a[1]);
    int perDatagram = Integer.parseInt(a[2]);
    int seconds = Integer.parseInt(a[3]);
    int sources = Integer.parseInt(a[4]);
    if (sources < 1 || sources > 200 || rate > 2_000_000 || seconds > 600 || perDatagram < 1) {
      throw new IllegalArgumentException("out of bounds");
    }
    DatagramChannel[] channels = new DatagramChannel[sources];
    for (int i = 0; i < sources; i++) {
      channels[i] = DatagramChannel.open();
      channels[i].bind(new InetSocketAddress("127.0.0." + (2 + i), 0));
    }
    InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < perDatagram; i++) {
      b.append(i % 2 == 0 ? "app.requests:1|c" : "app.latency:" + (i * 7 % 500) + "|ms");
      if (i < perDatagram - 1) {
        b.append('\n');
      }
    }
    byte[] payload = b.toString().getBytes(StandardCharsets.UTF_8);
    long datagramsPerSecond = Math.max(1, rate / perDatagram);
    long intervalNanos = 1_000_000_000L / datagramsPerSecond;
    long total = datagramsPerSecond * seconds;
    long start = System.nanoTime();
    ByteBuffer buf = ByteBuffer.wrap(payload);
    for (long n = 0; n < total; n++) {
      long due = start + n * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 50_000) {
        LockSupport.parkNanos(wait);
      }
      buf.rewind();
      channels[(int) (n % sources)].send(buf, target);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "sources=%d datagrams=%d sent_lines=%d elapsed_s=%.2f%n",
        sources, total, total * perDatagram, elapsed);
    for (DatagramChannel c : channels) {
      c.close();
    }
  }
}
