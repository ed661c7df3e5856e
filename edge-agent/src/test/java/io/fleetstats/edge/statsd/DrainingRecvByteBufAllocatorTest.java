package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.UncheckedBooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The read loop as Netty's epoll datagram channel drives it: reset, then per read the attempted and
 * read bytes.
 */
class DrainingRecvByteBufAllocatorTest {
  private static final int DATAGRAM = 8193;
  private static final int SLOTS = 7;

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private RecvByteBufAllocator.ExtendedHandle handle = handle(16);

  private static RecvByteBufAllocator.ExtendedHandle handle(int maxDatagrams) {
    return (RecvByteBufAllocator.ExtendedHandle)
        new DrainingRecvByteBufAllocator(SLOTS * DATAGRAM, maxDatagrams).newHandle();
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  /**
   * What EpollDatagramChannel.scatteringRead reports after a recvmmsg that got {@code received}
   * datagrams.
   */
  private boolean recvmmsg(int received) {
    handle.attemptedBytesRead(SLOTS * DATAGRAM);
    handle.lastBytesRead(Math.max(1, received * DATAGRAM));
    handle.incMessagesRead(received);
    return handle.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER);
  }

  @Test
  void allocatesBuffersOfTheGivenSize() {
    handle.reset(channel.config());
    ByteBuf buffer = handle.allocate(UnpooledByteBufAllocator.DEFAULT);
    try {
      assertThat(buffer.writableBytes()).isEqualTo(SLOTS * DATAGRAM);
    } finally {
      buffer.release();
    }
  }

  @Test
  void stopsAfterAReadThatDidNotFillEverySlot() {
    handle.reset(channel.config());

    assertThat(recvmmsg(1)).isFalse();
  }

  @Test
  void stopsAfterAReadThatFoundNothing() {
    handle.reset(channel.config());
    handle.attemptedBytesRead(SLOTS * DATAGRAM);
    handle.lastBytesRead(-1); // what the channel reports when recvmmsg got nothing

    assertThat(handle.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER)).isFalse();
  }

  @Test
  void readsOnAfterFullReadsUpToTheMostDatagrams() {
    handle.reset(channel.config());

    assertThat(recvmmsg(SLOTS)).isTrue(); // 7
    assertThat(recvmmsg(SLOTS)).isTrue(); // 14
    assertThat(recvmmsg(SLOTS)).isFalse(); // 21, past 16
  }

  @Test
  void readsOnWithAutoReadOff() {
    channel.config().setAutoRead(false); // as with ReadPacer: Netty's own handles read once then

    handle.reset(channel.config());

    assertThat(recvmmsg(SLOTS)).isTrue();
  }

  @Test
  void stopsAtThePartialReadThatEndsABurst() {
    handle = handle(64);
    handle.reset(channel.config());

    assertThat(recvmmsg(SLOTS)).isTrue();
    assertThat(recvmmsg(SLOTS)).isTrue();
    assertThat(recvmmsg(3)).isFalse();
  }

  @Test
  void startsAfreshOnTheNextReadLoop() {
    handle.reset(channel.config());
    recvmmsg(SLOTS);
    recvmmsg(SLOTS);
    recvmmsg(SLOTS);

    handle.reset(channel.config());
    assertThat(recvmmsg(SLOTS)).isTrue();
  }

  @Test
  void rejectsNonPositiveSizes() {
    assertThatThrownBy(() -> new DrainingRecvByteBufAllocator(0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DrainingRecvByteBufAllocator(1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
