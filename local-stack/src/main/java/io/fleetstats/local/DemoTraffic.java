package io.fleetstats.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the seed application's statsd traffic, in the exact wire format of the Python {@code
 * statsd} client the seed's Flask and Django apps used ({@code name:12.345678|ms}, {@code
 * name:1|c}): the Flask api-server times its prospect query and counts pulls, the Django web-server
 * times and counts sign-ups. Each simulated pod sends to its own edge agent, as each pod has its
 * own sidecar.
 */
final class DemoTraffic implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoTraffic.class);

  /** One simulated application pod and the address of its sidecar. */
  record Pod(String app, String name, String node, InetSocketAddress agent) {}

  static final String API_PREFIX = "fitcycle-api-server";
  static final String WEB_PREFIX = "fitcycle-server";

  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "demo-traffic"));
  private final DatagramChannel channel;
  private final Random random = new Random(42);

  private DemoTraffic(DatagramChannel channel) {
    this.channel = channel;
  }

  static DemoTraffic start(List<Pod> pods) {
    try {
      DemoTraffic demo = new DemoTraffic(DatagramChannel.open(StandardProtocolFamily.INET));
      demo.scheduler.scheduleAtFixedRate(() -> demo.tick(pods), 0, 100, TimeUnit.MILLISECONDS);
      return demo;
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot open a UDP socket for demo traffic: " + e.getMessage(), e);
    }
  }

  private void tick(List<Pod> pods) {
    try {
      for (Pod pod : pods) {
        StringBuilder datagram = new StringBuilder();
        if (pod.app().equals("api-server")) {
          // ~20 requests/s per pod: a lognormal DB query time around 200 ms
          int requests = 1 + random.nextInt(3);
          for (int i = 0; i < requests; i++) {
            double ms = Math.exp(5.3 + 0.35 * random.nextGaussian());
            timer(datagram, API_PREFIX + ".prospectPullTime", ms);
            counter(datagram, API_PREFIX + ".ProspectPull");
          }
        } else if (random.nextInt(5) == 0) {
          // a sign-up every half second or so; bimodal: fast path or e-mail verification
          double ms =
              random.nextInt(4) == 0
                  ? 800 + 150 * random.nextGaussian()
                  : 40 + 8 * random.nextGaussian();
          timer(datagram, WEB_PREFIX + ".signupTime", Math.max(1, ms));
          counter(datagram, WEB_PREFIX + ".signup");
        }
        if (datagram.length() > 0) {
          channel.send(
              ByteBuffer.wrap(datagram.toString().getBytes(StandardCharsets.UTF_8)), pod.agent());
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("demo traffic could not send: {}", e.toString());
    }
  }

  private static void timer(StringBuilder out, String name, double ms) {
    out.append(name).append(':').append(String.format(Locale.ROOT, "%.6f", ms)).append("|ms\n");
  }

  private static void counter(StringBuilder out, String name) {
    out.append(name).append(":1|c\n");
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(2, TimeUnit.SECONDS);
      channel.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.debug("closing the demo socket: {}", e.toString());
    }
  }
}
