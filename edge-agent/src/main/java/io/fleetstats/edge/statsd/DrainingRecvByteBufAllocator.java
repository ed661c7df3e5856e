package io.fleetstats.edge.statsd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The read loop of the epoll datagram channel: one buffer of a fixed size per {@code recvmmsg}, as
 * Netty's {@code FixedRecvByteBufAllocator}; the loop of one wake-up goes on while reads fill their
 * buffer, up to {@code maxDatagrams}, and ends at the first read that does not: that read drained
 * the socket, as far as it could tell ({@link ReadPacer} waits a little before the next).
 *
 * <p>Why not Netty's allocators: they end every loop after one read when auto-read is off (the
 * pacer turns it off to ask for reads itself), and with auto-read on and more than one read per
 * loop they read on after a partial read too (the epoll channel passes an "always maybe more"
 * supplier), so a wake-up that found a few datagrams would pay one more {@code recvmmsg} that finds
 * nothing. The fixed allocator as the agent used it read once per wake-up (its {@code
 * maxMessagesPerRead} is 1 unless set), so under load every 7 datagrams cost an {@code epoll_wait}
 * too.
 *
 * <p>Only for the epoll transport with room for several datagrams per read: NIO's datagram channel
 * reads one datagram per buffer, and reports it as a read that did not fill it.
 */
final class DrainingRecvByteBufAllocator implements RecvByteBufAllocator {
  private final int bufferSize;
  private final int maxDatagrams;

  /**
   * @param bufferSize bytes of each read's buffer (room for several datagrams)
   * @param maxDatagrams a loop reads on while it has read fewer datagrams than this
   */
  DrainingRecvByteBufAllocator(int bufferSize, int maxDatagrams) {
    if (bufferSize <= 0 || maxDatagrams <= 0) {
      throw new IllegalArgumentException(
          "bufferSize " + bufferSize + ", maxDatagrams " + maxDatagrams);
    }
    this.bufferSize = bufferSize;
    this.maxDatagrams = maxDatagrams;
  }

  @Override
  public Handle newHandle() {
    return new DrainingHandle();
  }

  private final class DrainingHandle implements ExtendedHandle {
    private int datagrams;
    private int attemptedBytes;
    private int lastBytes;

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
      return alloc.ioBuffer(bufferSize);
    }

    @Override
    public int guess() {
      return bufferSize;
    }

    @Override
    public void reset(ChannelConfig config) {
      datagrams = 0;
      attemptedBytes = 0;
      lastBytes = 0;
    }

    @Override
    public void incMessagesRead(int numMessages) {
      datagrams += numMessages;
    }

    @Override
    public void lastBytesRead(int bytes) {
      lastBytes = bytes;
    }

    @Override
    public int lastBytesRead() {
      return lastBytes;
    }

    @Override
    public void attemptedBytesRead(int bytes) {
      attemptedBytes = bytes;
    }

    @Override
    public int attemptedBytesRead() {
      return attemptedBytes;
    }

    @Override
    public boolean continueReading() {
      return continueReading(null);
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier ignored) {
      // the epoll channel reports a recvmmsg that filled every slot as attempted == read bytes
      return datagrams < maxDatagrams && lastBytes > 0 && lastBytes == attemptedBytes;
    }

    @Override
    public void readComplete() {}
  }
}
