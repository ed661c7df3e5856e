package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The UDP listener on a real socket, on each transport this machine has: single datagrams that each
 * find the socket otherwise empty (every epoll read ends after a partial recvmmsg), bursts that
 * fill several reads in a row, and datagrams at the size limit.
 */
class StatsdServerTest {
  private static final int MAX_PACKET = 8192;

  @ParameterizedTest
  @EnumSource(StatsdTransport.class)
  void readsEveryDatagramWhetherAloneOrInABurst(StatsdTransport transport) throws Exception {
    Assumptions.assumeTrue(
        transport == StatsdTransport.NIO || StatsdTransport.best() == StatsdTransport.EPOLL,
        "epoll is not available here");
    StatsdStats stats = new StatsdStats();
    AtomicLong counted = new AtomicLong();
    PacketIngester ingester =
        new PacketIngester(
            new StatsdParser(MAX_PACKET),
            (sample, t) -> counted.addAndGet((long) sample.value()),
            stats);
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("test-statsd", true), transport.ioHandlerFactory());
    StatsdServer server =
        StatsdServer.bind(
            transport,
            group,
            new InetSocketAddress("127.0.0.1", 0),
            null,
            ingester,
            Clock.systemUTC(),
            MAX_PACKET,
            MAX_PACKET,
            1);
    try (DatagramChannel client = DatagramChannel.open()) {
      client.connect(server.localAddress());
      long expectedLines = 0;
      long expectedSum = 0;
      // alone: each waits until the listener has read it, so the socket is empty again
      for (int i = 1; i <= 20; i++) {
        client.write(ByteBuffer.wrap(("alone:" + i + "|c").getBytes(StandardCharsets.UTF_8)));
        expectedLines++;
        expectedSum += i;
        long lines = expectedLines;
        await()
            .pollInterval(Duration.ofMillis(2))
            .atMost(Duration.ofSeconds(10))
            .until(() -> stats.lines() == lines);
      }
      // a burst: datagrams queue up, so reads fill every slot and read on (few enough for a
      // default net.core.rmem_max of 208 KiB)
      for (int i = 0; i < 100; i++) {
        client.write(ByteBuffer.wrap("burst:1|c\nburst:2|ms".getBytes(StandardCharsets.UTF_8)));
        expectedLines += 2;
        expectedSum += 3;
      }
      // at the size limit: each takes one whole slot of the read buffer
      byte[] big = new byte[MAX_PACKET];
      Arrays.fill(big, (byte) '\n');
      byte[] line = "big:5|g".getBytes(StandardCharsets.UTF_8);
      System.arraycopy(line, 0, big, 0, line.length);
      for (int i = 0; i < 10; i++) {
        client.write(ByteBuffer.wrap(big));
        expectedLines++;
        expectedSum += 5;
      }
      long lines = expectedLines;
      await()
          .pollInterval(Duration.ofMillis(2))
          .atMost(Duration.ofSeconds(10))
          .until(() -> stats.lines() == lines);
      long sum = expectedSum;
      await()
          .pollInterval(Duration.ofMillis(2))
          .atMost(Duration.ofSeconds(10))
          .until(() -> counted.get() == sum);
      assertThat(stats.packets()).isEqualTo(20 + 100 + 10);
      assertThat(stats.truncatedPackets()).isZero();
      assertThat(stats.rejectedTotal()).isZero();
    } finally {
      server.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
