package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The TCP pipeline ({@link StatsdLineDecoder} + {@link StatsdLineHandler}) through EmbeddedChannel.
 */
class StatsdTcpCodecTest {
  private static final long NOW = 1_764_086_400_000L;

  private final List<String> received = new ArrayList<>();
  private final StatsdStats stats = new StatsdStats();
  private final PacketIngester ingester =
      new PacketIngester(
          new StatsdParser(), (s, t) -> received.add(ParserSpec.render(s) + " at " + t), stats);
  private final EmbeddedChannel channel = new EmbeddedChannel();

  StatsdTcpCodecTest() {
    StatsdServer.tcpPipeline(
        channel, ingester, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC), 64);
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  @Test
  void readsTelegrafTestTcpLine() {
    // Telegraf statsd_test.go TestTCP: "cpu.time_idle:42|c\n"
    channel.writeInbound(bytes("cpu.time_idle:42|c\n"));

    assertThat(received).containsExactly("cpu.time_idle COUNTER 42.0 at " + NOW);
    assertThat(stats.tcpLines()).isEqualTo(1);
    assertThat(stats.bytes()).isEqualTo(18);
    assertThat(stats.lines()).isEqualTo(1);
  }

  @Test
  void joinsALineSplitAcrossSegments() {
    channel.writeInbound(bytes("a.b:1"));
    channel.writeInbound(bytes("|ms|#k:"));
    assertThat(received).isEmpty();
    channel.writeInbound(bytes("v\r\n"));

    assertThat(received).containsExactly("a.b TIMER 1.0 {k=v} at " + NOW);
  }

  @Test
  void readsSeveralLinesOfOneSegmentAndSkipsEmptyOnes() {
    channel.writeInbound(bytes("a:1|c\n\nb:2|g\nc:3|s\n"));

    assertThat(received)
        .containsExactly("a COUNTER 1.0 at " + NOW, "b GAUGE 2.0 at " + NOW, "c SET 3 at " + NOW);
    assertThat(stats.lines()).isEqualTo(3);
  }

  @Test
  void recoversAfterAnInvalidLine() {
    // Telegraf statsd_test.go TestParse_InvalidAndRecoverIntegration over one connection
    channel.writeInbound(bytes("test.service.stat.missing_value:|h\n"));
    channel.writeInbound(bytes("cpu.time_idle:42|c\n"));

    assertThat(stats.rejected(RejectReason.MISSING_VALUE)).isEqualTo(1);
    assertThat(received).containsExactly("cpu.time_idle COUNTER 42.0 at " + NOW);
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void countsATooLongLineAndKeepsTheConnection() {
    channel.writeInbound(bytes("x".repeat(40)));
    channel.writeInbound(bytes("y".repeat(40) + ":1|c\nok:1|c\n"));

    assertThat(stats.rejected(RejectReason.LINE_TOO_LONG)).isEqualTo(1);
    assertThat(stats.lines()).isEqualTo(2);
    assertThat(received).containsExactly("ok COUNTER 1.0 at " + NOW);
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void deliversAnUnterminatedLastLineWhenTheClientCloses() {
    channel.writeInbound(bytes("a:1|c\nlast:2|c"));
    assertThat(received).hasSize(1);

    channel.finish();

    assertThat(received).containsExactly("a COUNTER 1.0 at " + NOW, "last COUNTER 2.0 at " + NOW);
  }

  @Test
  void countsAnUnterminatedTooLongLineAtClose() {
    channel.writeInbound(bytes("z".repeat(60)));
    channel.writeInbound(bytes("z".repeat(60)));
    channel.finish();

    assertThat(stats.rejected(RejectReason.LINE_TOO_LONG)).isEqualTo(1);
    assertThat(received).isEmpty();
  }

  @Test
  void countsALineTooLongOnlyWithItsCarriageReturnAsFitting() {
    channel.writeInbound(bytes("a".repeat(61) + ":1|\r\n"));

    assertThat(stats.rejected(RejectReason.LINE_TOO_LONG)).isZero();
    assertThat(stats.rejected(RejectReason.BAD_TYPE)).isEqualTo(1);
  }

  @Test
  void releasesFrames() {
    ByteBuf in = bytes("a:1|c\n");
    channel.writeInbound(in);

    assertThat(in.refCnt()).isZero();
  }
}
