package io.fleetstats.sink.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.fleetstats.sink.kit.delivery.BatchSender.Status;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link BatchSender} and {@link ProxyClient} against a real HTTP server on loopback. */
class BatchSenderIT {
  private final RecordingProxy proxy = RecordingProxy.start();
  private final List<Duration> waits = new ArrayList<>();

  @AfterEach
  void stop() {
    proxy.close();
  }

  private BatchSender<String> sender(URI url) {
    return new BatchSender<>(
        new ProxyClient(url, Duration.ofSeconds(2)),
        Backoff.upTo(Duration.ofSeconds(1)),
        () -> 0.5);
  }

  // Records the requested waits without waiting: the policy is what is under test here.
  private boolean recordWait(Duration d) {
    waits.add(d);
    return true;
  }

  private static List<String> lines(int n) {
    return IntStream.range(0, n).mapToObj(i -> "\"m" + i + "\" 1 1764086400 source=\"h\"").toList();
  }

  @Test
  void retries503UntilAcceptedAndDeliversEveryLineOnce() throws Exception {
    proxy.answerNext(503, 2);
    BatchSender<String> sender = sender(proxy.url());
    BatchSender.Result result = sender.send(lines(3), this::recordWait);
    assertThat(result.status()).isEqualTo(Status.DELIVERED);
    assertThat(proxy.statuses()).containsExactly(503, 503, 202);
    assertThat(proxy.acceptedLines()).containsExactlyElementsOf(lines(3));
    assertThat(sender.retries()).isEqualTo(2);
    assertThat(sender.itemsSent()).isEqualTo(3);
    assertThat(sender.batchesSent()).isEqualTo(1);
    assertThat(waits).hasSize(2);
    assertThat(waits.get(1)).isGreaterThan(waits.get(0));
  }

  @Test
  void honoursRetryAfterSeconds() throws Exception {
    proxy.answerNext(429, 1).retryAfter("3");
    BatchSender.Result result = sender(proxy.url()).send(lines(1), this::recordWait);
    assertThat(result.status()).isEqualTo(Status.DELIVERED);
    assertThat(waits).containsExactly(Duration.ofSeconds(3));
  }

  @Test
  void splitsInHalvesOn413KeepingLineOrder() throws Exception {
    proxy.tooLargeAbove(2);
    BatchSender<String> sender = sender(proxy.url());
    BatchSender.Result result = sender.send(lines(5), this::recordWait);
    assertThat(result.status()).isEqualTo(Status.DELIVERED);
    assertThat(proxy.bodyLines()).containsExactly(5, 2, 3, 1, 2);
    assertThat(proxy.acceptedLines()).containsExactlyElementsOf(lines(5));
    assertThat(sender.batchesSent()).isEqualTo(3);
    assertThat(sender.retries()).isZero();
  }

  @Test
  void bisectsA400ToTheRefusedLinesAndDeliversTheRest() throws Exception {
    proxy.refuseLinesContaining("\"m5\"").refuseLinesContaining("\"m6\"");
    BatchSender<String> sender = sender(proxy.url());
    BatchSender.Result result = sender.send(lines(16), this::recordWait);
    assertThat(result.status()).isEqualTo(Status.DELIVERED);
    assertThat(result.rejected()).extracting(BatchSender.Rejected::index).containsExactly(5, 6);
    assertThat(result.rejected()).allSatisfy(r -> assertThat(r.status()).isEqualTo(400));
    List<String> expected = new ArrayList<>(lines(16));
    expected.removeAll(List.of(lines(16).get(5), lines(16).get(6)));
    assertThat(proxy.acceptedLines()).containsExactlyElementsOf(expected);
    assertThat(sender.itemsRejected()).isEqualTo(2);
    assertThat(sender.itemsSent()).isEqualTo(14);
    // 16 → 8+8 → 4+4 → 2+2 (m4 m5 | m6 m7) → singles: 1 + 2 + 2 + 2 + 4 = 11 requests
    assertThat(proxy.requests()).isEqualTo(11);
    assertThat(sender.retries()).isZero();
  }

  @Test
  void aSingleLineTooLargeIsReturnedAsRejected() throws Exception {
    proxy.tooLargeAboveBytes(10);
    BatchSender.Result result = sender(proxy.url()).send(lines(1), this::recordWait);
    assertThat(result.status()).isEqualTo(Status.DELIVERED);
    assertThat(result.rejected())
        .singleElement()
        .satisfies(r -> assertThat(r.status()).isEqualTo(413));
  }

  @Test
  void sendsTheTokenAsBearerAndTheFormat() throws Exception {
    BatchSender<String> sender =
        new BatchSender<>(
            new ProxyClient(proxy.url(), Duration.ofSeconds(2), java.util.Optional.of("s3cret")),
            Backoff.upTo(Duration.ofSeconds(1)),
            () -> 0.5);
    sender.send(lines(1), "wavefront", this::recordWait);
    sender.send(List.of("!M 1764086400 #1 2 \"m\" source=\"h\""), "histogram", this::recordWait);
    assertThat(proxy.authorizations()).containsExactly("Bearer s3cret", "Bearer s3cret");
    assertThat(proxy.formats()).containsExactly("wavefront", "histogram");
  }

  @Test
  void a403ForDistributionsNamesTheSetting() throws Exception {
    proxy.answerByDefault(403);
    BatchSender.Result result = sender(proxy.url()).send(lines(1), "histogram", this::recordWait);
    assertThat(result.status()).isEqualTo(Status.FATAL);
    assertThat(result.detail()).contains("403", "FLEETSTATS_DISTRIBUTIONS");
  }

  @Test
  void stopsOn401NamingTheSettingToFix() throws Exception {
    proxy.answerByDefault(401);
    BatchSender.Result result = sender(proxy.url()).send(lines(1), this::recordWait);
    assertThat(result.status()).isEqualTo(Status.FATAL);
    assertThat(result.detail())
        .contains("401", "FLEETSTATS_PROXY_URL", "FLEETSTATS_WAVEFRONT_TOKEN");
    assertThat(proxy.requests()).isEqualTo(1);
  }

  @Test
  void retriesRefusedConnectionsUntilStopped() throws Exception {
    URI closed = proxy.url();
    proxy.close();
    BatchSender<String> sender = sender(closed);
    BatchSender.Result result = sender.send(lines(1), d -> waits.add(d) && waits.size() < 3);
    assertThat(result.status()).isEqualTo(Status.STOPPED);
    assertThat(sender.retries()).isEqualTo(3);
    assertThat(sender.itemsSent()).isZero();
  }
}
