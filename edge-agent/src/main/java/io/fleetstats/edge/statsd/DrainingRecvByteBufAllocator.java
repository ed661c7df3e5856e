package io.fleetstats.edge.statsd;

import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Netty's {@code FixedRecvByteBufAllocator} (one buffer of a fixed size per read) for the epoll
 * datagram channel, except that the read loop of one wake-up goes on only while reads fill their
 * buffer, up to {@code maxMessagesPerRead} datagrams.
 *
 * <p>Why: with {@code recvmmsg} each read takes up to {@code buffer / datagram} datagrams. The
 * fixed allocator reads once per epoll wake-up (its {@code maxMessagesPerRead} is 1 unless set),
 * so under load every few datagrams cost an {@code epoll_wait} as well. Raising its limit does not
 * help: the epoll channel then calls {@code recvmmsg} again after every read (it passes Netty's
 * "always maybe more" supplier), so every wake-up that found only a few datagrams, the common case
 * below saturation, would pay one more {@code recvmmsg} that finds nothing. Here a read that got
 * fewer datagrams than it had room for ends the loop: it drained the socket as far as it could
 * tell, and the level-triggered epoll (Netty 4.2's only mode) reports the socket again if more
 * arrived since.
 *
 * <p>Only for the epoll transport with room for several datagrams per read: NIO's datagram
 * channel reads one datagram per buffer, which would end every loop after one datagram.
 */
final class DrainingRecvByteBufAllocator extends DefaultMaxMessagesRecvByteBufAllocator {
  private final int bufferSize;

  /** @param bufferSize bytes of each read's buffer (room for several datagrams) */
  DrainingRecvByteBufAllocator(int bufferSize) {
    if (bufferSize <= 0) {
      throw new IllegalArgumentException("bufferSize must be positive: " + bufferSize);
    }
    this.bufferSize = bufferSize;
  }

  @Override
  public Handle newHandle() {
    return new MaxMessageHandle() {
      @Override
      public int guess() {
        return bufferSize;
      }

      @Override
      public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
        // the epoll channel reports a recvmmsg that filled every slot as attempted == read bytes
        return super.continueReading(maybeMoreDataSupplier) && lastBytesRead() == attemptedBytesRead();
      }
    };
  }
}
