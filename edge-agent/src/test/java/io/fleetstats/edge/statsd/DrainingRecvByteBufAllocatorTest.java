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

/** The read loop as Netty's epoll datagram channel drives it: reset, then per read the attempted and read bytes. */
class DrainingRecvByteBufAllocatorTest {
  private static final int DATAGRAM = 8193;
  private static final int SLOTS = 7;

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private RecvByteBufAllocator.ExtendedHandle handle = handle(16);

  private static RecvByteBufAllocator.ExtendedHandle handle(int maxMessagesPerRead) {
    return (RecvByteBufAllocator.ExtendedHandle)
        new DrainingRecvByteBufAllocator(SLOTS * DATAGRAM).maxMessagesPerRead(maxMessagesPerRead).newHandle();
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  /** What EpollDatagramChannel.scatteringRead reports after a recvmmsg that got {@code received} datagrams. */
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
  void readsOnAfterAFullReadUpToTheMessagesPerRead() {
    handle.reset(channel.config());

    assertThat(recvmmsg(SLOTS)).isTrue(); // 7
    assertThat(recvmmsg(SLOTS)).isTrue(); // 14
    assertThat(recvmmsg(SLOTS)).isFalse(); // 21: Netty's bound
  }

  @Test
  void stopsAtThePartialReadThatEndsABurst() {
    handle = handle(64);
    handle.reset(channel.config());

    assertThat(recvmmsg(SLOTS)).isTrue();
    assertThat(recvmmsg(3)).isFalse();
  }

  @Test
  void startsAfreshOnTheNextReadLoop() {
    handle.reset(channel.config());
    recvmmsg(1);

    handle.reset(channel.config());
    assertThat(recvmmsg(SLOTS)).isTrue();
  }

  @Test
  void readsOncePerWakeUpByDefaultAsNettysFixedAllocator() {
    handle = (RecvByteBufAllocator.ExtendedHandle) new DrainingRecvByteBufAllocator(SLOTS * DATAGRAM).newHandle();
    handle.reset(channel.config());

    assertThat(recvmmsg(SLOTS)).isFalse();
  }

  @Test
  void rejectsANonPositiveBufferSize() {
    assertThatThrownBy(() -> new DrainingRecvByteBufAllocator(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
