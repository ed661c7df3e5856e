package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StatsdDatagramHandlerTest {
  private static final long NOW = 1_764_086_400_000L;
  private static final InetSocketAddress AGENT = new InetSocketAddress("127.0.0.1", 8125);
  private static final InetSocketAddress APP = new InetSocketAddress("127.0.0.1", 40000);

  private record Received(StatsdSample sample, long receivedAt) {}

  private final List<Received> received = new ArrayList<>();
  private final StatsdStats stats = new StatsdStats();
  private final EmbeddedChannel channel =
      new EmbeddedChannel(
          new StatsdDatagramHandler(
              new PacketIngester(
                  new StatsdParser(64), (s, t) -> received.add(new Received(s, t)), stats),
              Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
              256));

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void send(String payload) {
    channel.writeInbound(
        new DatagramPacket(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8), AGENT, APP));
  }

  @Test
  void feedsEverySampleOfEveryLineWithTheDatagramsReceiveTime() {
    send("a:1|c\nb:2|ms|#k:v\r\n\nc:3|g:+1|g\n");

    assertThat(received)
        .containsExactly(
            new Received(StatsdSample.of("a", MetricType.COUNTER, 1), NOW),
            new Received(
                new StatsdSample("b", MetricType.TIMER, Map.of("k", "v"), 2, "", 1, false), NOW),
            new Received(StatsdSample.of("c", MetricType.GAUGE, 3), NOW),
            new Received(new StatsdSample("c", MetricType.GAUGE, Map.of(), 1, "", 1, true), NOW));
    assertThat(stats.packets()).isEqualTo(1);
    assertThat(stats.lines()).isEqualTo(3);
    assertThat(stats.samples()).isEqualTo(4);
    assertThat(stats.rejectedTotal()).isZero();
  }

  @Test
  void aDogStatsdTimestampReplacesTheReceiveTimeOfItsLineOnly() {
    send("a:1|c|T1764086280\na:2|c\n");

    assertThat(received)
        .containsExactly(
            new Received(StatsdSample.of("a", MetricType.COUNTER, 1), 1_764_086_280_000L),
            new Received(StatsdSample.of("a", MetricType.COUNTER, 2), NOW));
  }

  @Test
  void countsRejectedLinesByReasonAndKeepsTheGoodOnes() {
    send("good:1|c\nbad:x|c\nnotype:1\nrate:1|c|@2\n" + "long".repeat(20) + ":1|c");
    send("also.bad:1|zz");

    assertThat(received).extracting(r -> r.sample().name()).containsExactly("good");
    assertThat(stats.packets()).isEqualTo(2);
    assertThat(stats.lines()).isEqualTo(6);
    assertThat(stats.rejected(RejectReason.BAD_VALUE)).isEqualTo(1);
    assertThat(stats.rejected(RejectReason.MISSING_TYPE)).isEqualTo(1);
    assertThat(stats.rejected(RejectReason.BAD_SAMPLE_RATE)).isEqualTo(1);
    assertThat(stats.rejected(RejectReason.LINE_TOO_LONG)).isEqualTo(1);
    assertThat(stats.rejected(RejectReason.BAD_TYPE)).isEqualTo(1);
    assertThat(stats.rejectedTotal()).isEqualTo(5);
  }

  @Test
  void decodesUtf8Names() {
    send("caf\u00e9.visits:1|c");

    assertThat(received).extracting(r -> r.sample().name()).containsExactly("caf\u00e9.visits");
  }

  @Test
  void countsDatagramsLargerThanTheLimitAndRejectsTheirCutLastLine() {
    // The server's buffer is one byte larger than the limit: 257 bytes arrive for a 256 limit.
    String whole = "a:1|c\n" + "x".repeat(240) + ":1|c|@0.125";
    send(whole.substring(0, 257));

    assertThat(stats.truncatedPackets()).isEqualTo(1);
    assertThat(received).extracting(r -> r.sample().name()).containsExactly("a");
    assertThat(stats.rejected(RejectReason.DATAGRAM_TOO_LARGE)).isEqualTo(1);
    assertThat(stats.bytes()).isEqualTo(257);
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void usesADatagramOfExactlyTheLimitWhole() {
    send("a:1|c\n" + "bbbbb:1|c\n".repeat(25));

    assertThat(stats.truncatedPackets()).isZero();
    assertThat(stats.bytes()).isEqualTo(256);
    assertThat(received).hasSize(26);
  }

  @Test
  void ignoresEmptyDatagrams() {
    send("");
    send("\n\n");

    assertThat(received).isEmpty();
    assertThat(stats.packets()).isEqualTo(2);
    assertThat(stats.lines()).isZero();
  }

  @Test
  void releasesDatagramBuffers() {
    DatagramPacket packet =
        new DatagramPacket(Unpooled.copiedBuffer("a:1|c", StandardCharsets.UTF_8), AGENT, APP);
    channel.writeInbound(packet);

    assertThat(packet.refCnt()).isZero();
  }
}
