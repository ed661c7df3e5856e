package io.fleetstats.sink.kit.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fleetstats.kit.Ticker;
import io.fleetstats.sink.kit.Delivery;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchSender} over {@link HttpPost} against a real HTTP server on loopback, on a clock that
 * only the waiter moves: a 30-s outage is a handful of requests and no waiting at all.
 */
class BatchSenderIT {
  private static final Duration OUTAGE = Duration.ofSeconds(30);

  private final AtomicLong clock = new AtomicLong();
  private final Ticker ticker = clock::get;
  private final AtomicInteger status = new AtomicInteger(503);
  private final List<String> accepted = new ArrayList<>();
  private final HttpServer server;

  BatchSenderIT() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            String body =
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int answer = status.get();
            if (answer == 202) {
              synchronized (accepted) {
                accepted.addAll(List.of(body.split("\n")));
              }
            }
            exchange.sendResponseHeaders(answer, -1);
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** Lines POSTed as one text body each. */
  private Transport<String> transport(URI url) {
    HttpPost post = new HttpPost(Duration.ofSeconds(2));
    return new Transport<>() {
      @Override
      public Sent send(List<String> items, String format) throws InterruptedException {
        byte[] body = String.join("\n", items).getBytes(StandardCharsets.UTF_8);
        return post.send(HttpRequest.newBuilder(url), body, HttpPost::standard);
      }

      @Override
      public String peer() {
        return "server " + url;
      }
    };
  }

  private BatchSender<String> sender(URI url) {
    Backoff backoff = Backoff.upTo(Duration.ofSeconds(30));
    return new BatchSender<>(
        transport(url), backoff, () -> 0.5, ticker, new SimpleMeterRegistry(), "test.sink");
  }

  @Test
  void retriesA30SecondOutageWithGrowingWaitsThenDeliversOnce() throws Exception {
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    BatchSender<String> sender = sender(url);
    List<Duration> waits = new ArrayList<>();

    BatchSender.Result result =
        sender.send(
            List.of("a", "b", "c"),
            delay -> {
              waits.add(delay);
              if (clock.addAndGet(delay.toNanos()) >= OUTAGE.toNanos()) {
                status.set(202);
              }
              return true;
            });

    assertThat(result.status()).isEqualTo(BatchSender.Status.DELIVERED);
    assertThat(accepted).containsExactly("a", "b", "c");
    // 150 ms, 300, 600, ... (200 ms doubling, at the middle of the jitter): 8 waits pass 30 s
    assertThat(waits).hasSize(8).isSorted();
    assertThat(waits.get(0)).isEqualTo(Duration.ofMillis(150));
    assertThat(waits.stream().reduce(Duration.ZERO, Duration::plus)).isGreaterThanOrEqualTo(OUTAGE);
    assertThat(sender.retries()).isEqualTo(8);
    assertThat(sender.health()).isEqualTo(BatchSender.Health.OK);
  }

  @Test
  void retriesRefusedConnectionsUntilTheWaiterSaysStop() throws Exception {
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    server.stop(0);
    BatchSender<String> sender = sender(url);

    BatchSender.Result result =
        sender.send(List.of("a"), delay -> clock.addAndGet(delay.toNanos()) < OUTAGE.toNanos());

    assertThat(result.status()).isEqualTo(BatchSender.Status.STOPPED);
    assertThat(result.toDelivery().status()).isEqualTo(Delivery.Status.STOPPED);
    assertThat(sender.health()).isEqualTo(BatchSender.Health.FAILING);
    assertThat(sender.itemsSent()).isZero();
  }
}
