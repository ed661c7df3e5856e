package io.fleetstats.local.faults;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

/** The pieces of {@link FaultSuiteIT}: child processes, the proxy stand-in, a TCP cut. */
final class FaultParts {
  private FaultParts() {}

  /** A service as a child JVM on the test class path, configured by env only. */
  static Process startJava(String mainClass, String xmx, Map<String, String> env, File log)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx" + xmx,
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            mainClass);
    Map<String, String> e = pb.environment();
    e.keySet()
        .removeIf(
            k ->
                k.startsWith("FLEETSTATS_")
                    || Set.of("CLUSTER_NAME", "POD_NAME", "NAMESPACE", "NODE_HOSTNAME", "APP_NAME")
                        .contains(k));
    e.putAll(env);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
    return pb.start();
  }

  /** SIGKILL: no shutdown hook, no clean close. */
  static void sigkill(Process p) throws InterruptedException {
    p.destroyForcibly();
    p.waitFor();
    if (p.exitValue() != 137) {
      throw new AssertionError("killed with SIGKILL, but exit value " + p.exitValue());
    }
  }

  /** The sum of every sample of a Prometheus counter or gauge family on {@code /metrics}. */
  static double metric(HttpClient http, int adminPort, String family) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      double sum = 0;
      for (String line : r.body().split("\n")) {
        if (line.startsWith(family + " ") || line.startsWith(family + "{")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    } catch (IOException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  /**
   * The Wavefront proxy's HTTP listener as the sink sees it: up (202, every line kept in arrival
   * order), down (connection refused: nothing listens on the port) or failing (503).
   */
  static final class Receiver implements AutoCloseable {
    final int port;
    private final List<String> lines = new ArrayList<>();
    private volatile boolean failing;
    private HttpServer server;
    volatile long requests503;

    Receiver(int port) throws IOException {
      this.port = port;
      up();
    }

    synchronized void up() throws IOException {
      failing = false;
      if (server == null) {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
      }
    }

    /** Connection refused from now on. */
    synchronized void down() {
      if (server != null) {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        server = null;
      }
    }

    /** Listening, but every request answered 503. */
    void failing() throws IOException {
      up();
      failing = true;
    }

    private void handle(com.sun.net.httpserver.HttpExchange ex) throws IOException {
      try (ex) {
        byte[] body = ex.getRequestBody().readAllBytes();
        if (failing) {
          requests503++;
          ex.sendResponseHeaders(503, -1);
          return;
        }
        String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
        InputStream in = new java.io.ByteArrayInputStream(body);
        if (enc != null && enc.contains("gzip")) {
          in = new GZIPInputStream(in);
        }
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        synchronized (lines) {
          for (String l : text.split("\n")) {
            if (!l.isBlank()) {
              lines.add(l);
            }
          }
        }
        ex.sendResponseHeaders(202, -1);
      }
    }

    List<String> lines() {
      synchronized (lines) {
        return new ArrayList<>(lines);
      }
    }

    int size() {
      synchronized (lines) {
        return lines.size();
      }
    }

    void writeTo(Path file) throws IOException {
      Files.write(file, lines());
    }

    @Override
    public void close() {
      down();
    }
  }

  /**
   * A loopback TCP forwarder: {@link #cut()} closes the listening socket and every connection
   * (clients get refused connections), {@link #restore()} listens again on the same port.
   */
  static final class TcpCut implements AutoCloseable {
    private final int listenPort;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;

    TcpCut(int listenPort, int targetPort) throws IOException {
      this.listenPort = listenPort;
      this.targetPort = targetPort;
      restore();
    }

    synchronized void restore() throws IOException {
      if (server != null) {
        return;
      }
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", listenPort));
      server = s;
      Thread t = new Thread(() -> accept(s), "tcp-cut-" + listenPort);
      t.setDaemon(true);
      t.start();
    }

    private void accept(ServerSocket s) {
      while (!s.isClosed()) {
        try {
          Socket client = s.accept();
          Socket target = new Socket("127.0.0.1", targetPort);
          open.add(client);
          open.add(target);
          pump(client, target);
          pump(target, client);
        } catch (IOException e) {
          // closed by cut(), or the target is down: the client sees a closed connection
        }
      }
    }

    private void pump(Socket from, Socket to) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[64 * 1024];
                try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                  }
                } catch (IOException e) {
                  // either side closed
                } finally {
                  closeQuietly(from);
                  closeQuietly(to);
                }
              },
              "tcp-cut-pump");
      t.setDaemon(true);
      t.start();
    }

    synchronized void cut() {
      closeQuietly(server);
      server = null;
      for (Socket s : open) {
        closeQuietly(s);
      }
      open.clear();
    }

    @Override
    public void close() {
      cut();
    }

    private static void closeQuietly(java.io.Closeable c) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (IOException e) {
        // closing
      }
    }
  }

  /** Bytes of a file, for failure messages (the last {@code max} characters). */
  static String tail(Path file, int max) {
    try {
      String s = Files.readString(file);
      return s.length() <= max ? s : s.substring(s.length() - max);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String joined(ByteArrayOutputStream b) {
    return b.toString(StandardCharsets.UTF_8);
  }
}
