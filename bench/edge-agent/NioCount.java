import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling: a bare blocking NIO DatagramChannel receive loop on one thread that only counts
 * lines ('\n' separated). Same socket buffer as the agent asks (4 MiB, capped by rmem_max). Usage:
 * java NioCount PORT COUNT_FILE (writes the cumulative line count to COUNT_FILE every 200 ms)
 */
public class NioCount {
  public static void main(String[] a) throws Exception {
    int port = Integer.parseInt(a[0]);
    java.nio.file.Path out = java.nio.file.Path.of(a[1]);
    DatagramChannel ch = DatagramChannel.open();
    ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 * 1024 * 1024);
    ch.bind(new InetSocketAddress("127.0.0.1", port));
    ByteBuffer buf = ByteBuffer.allocateDirect(65536);
    AtomicLong lines = new AtomicLong();
    ScheduledExecutorService writer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "count-writer");
              t.setDaemon(true);
              return t;
            });
    writer.scheduleAtFixedRate(
        () -> {
          try {
            java.nio.file.Files.writeString(out, Long.toString(lines.get()));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        0,
        200,
        TimeUnit.MILLISECONDS);
    long n = 0;
    while (true) {
      buf.clear();
      ch.receive(buf);
      buf.flip();
      int len = buf.limit();
      if (len == 0) continue;
      for (int i = 0; i < len; i++) {
        if (buf.get(i) == '\n') n++;
      }
      if (buf.get(len - 1) != '\n') n++;
      lines.lazySet(n); // a release store: the writer sees a recent count, the loop pays no fence
    }
  }
}
