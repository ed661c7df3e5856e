import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

/**
 * LatencyReceiver: a Wavefront proxy HTTP listener on loopback for the latency benchmark. Every
 * POST (the sink sends gzip bodies to {@code /report?f=wavefront}) is answered 202, as the proxy
 * does; the request's arrival time (epoch ms, taken when the handler starts, before the body is
 * read) is written before each of its lines: {@code <arrival ms> <line>}. Only lines whose metric
 * name starts with PREFIX are kept (the stack's self-metrics pass through the pipeline too).
 *
 * <p>Usage: java LatencyReceiver PORT_FILE OUT_FILE PREFIX. Binds a free port on 127.0.0.1 and
 * writes it to PORT_FILE; runs until killed; flushes OUT_FILE after every request.
 */
public class LatencyReceiver {
  public static void main(String[] a) throws Exception {
    if (a.length != 3) {
      System.err.println("usage: LatencyReceiver PORT_FILE OUT_FILE PREFIX");
      System.exit(2);
    }
    String quoted = "\"" + a[2];
    String bare = a[2];
    BufferedWriter out = Files.newBufferedWriter(Path.of(a[1]), StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext(
        "/",
        (HttpExchange ex) -> {
          long arrival = System.currentTimeMillis();
          try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
              ex.sendResponseHeaders(405, -1);
              return;
            }
            InputStream body = ex.getRequestBody();
            if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
              body = new GZIPInputStream(body);
            }
            String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            synchronized (out) {
              for (String line : text.split("\n")) {
                if (line.startsWith(quoted) || line.startsWith(bare)) {
                  out.write(Long.toString(arrival));
                  out.write(' ');
                  out.write(line);
                  out.newLine();
                }
              }
              out.flush();
            }
            ex.sendResponseHeaders(202, -1);
          } catch (IOException | RuntimeException e) {
            System.err.println("receiver: bad request: " + e);
            throw e;
          }
        });
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
    Path portFile = Path.of(a[0]);
    Path tmp = Path.of(a[0] + ".tmp");
    Files.writeString(tmp, Integer.toString(server.getAddress().getPort()));
    Files.move(tmp, portFile);
  }
}
