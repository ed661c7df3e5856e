package io.fleetstats.edge.statsd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;

/** The UDP statsd listener: one datagram channel on the given event loop group. */
public final class StatsdServer implements AutoCloseable {
  /** Asked of the kernel; Linux caps it at {@code net.core.rmem_max}. Absorbs bursts. */
  private static final int SO_RCVBUF = 4 * 1024 * 1024;

  private final Channel channel;

  private StatsdServer(Channel channel) {
    this.channel = channel;
  }

  /**
   * Binds and returns once the socket is listening.
   *
   * @param maxPacketSize bytes read per datagram; longer datagrams are cut by the OS
   * @throws IllegalStateException naming the address when it cannot be bound
   */
  public static StatsdServer bind(
      InetSocketAddress address, EventLoopGroup group, ChannelHandler handler, int maxPacketSize) {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .option(ChannelOption.SO_RCVBUF, SO_RCVBUF)
            // Unpooled: each datagram is decoded to a String at once and released, so a pool would
            // only keep memory the sidecar's small heap needs elsewhere.
            .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
            // Netty's default for datagrams is 2048 bytes, which silently cuts larger packets.
            .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxPacketSize))
            .handler(handler);
    try {
      Channel channel = bootstrap.bind(address).syncUninterruptibly().channel();
      return new StatsdServer(channel);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot listen for statsd on udp://"
              + address.getHostString()
              + ":"
              + address.getPort()
              + " (FLEETSTATS_STATSD_ADDRESS): "
              + e,
          e);
    }
  }

  /** The bound address (with the actual port when 0 was asked for). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** The event loop that reads this socket. */
  public EventLoop eventLoop() {
    return channel.eventLoop();
  }

  /** Stops listening. */
  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
