package io.fleetstats.edge.statsd;

import io.fleetstats.kit.LogThrottle;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statsd listeners: one UDP datagram channel and, when configured, one TCP server whose
 * connections are newline framed, on the given {@link StatsdTransport}. Both feed the same {@link
 * PacketIngester} on the same event loop, so the agent's batcher stays single-threaded.
 */
public final class StatsdServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatsdServer.class);

  /** Asked of the kernel; Linux caps it at {@code net.core.rmem_max}. Absorbs bursts. */
  private static final int SO_RCVBUF = 4 * 1024 * 1024;

  /** Datagrams one epoll read takes at most ({@code recvmmsg}), while they fit the read buffer. */
  private static final int MAX_DATAGRAMS_PER_READ = 16;

  /**
   * Datagrams one epoll wake-up reads at most, in reads that each filled the buffer (a read that
   * did not ends it: {@link DrainingRecvByteBufAllocator}).
   */
  private static final int MAX_DATAGRAMS_PER_WAKEUP = 64;

  /**
   * With epoll, after a read loop that drained the socket (it ended before {@link
   * #MAX_DATAGRAMS_PER_WAKEUP}), the next read waits this long ({@link ReadPacer}): at 1 M
   * datagrams/s that is 1,000 datagrams for the receive buffer.
   */
  private static final long READ_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** The epoll read buffer: 7 datagrams at the default 8 KiB packet limit, 1 at 64 KiB. */
  private static final int READ_BUFFER_BYTES = 64 * 1024;

  private final Channel udp;
  private final Channel tcp;
  private final ChannelGroup connections;

  private StatsdServer(Channel udp, Channel tcp, ChannelGroup connections) {
    this.udp = udp;
    this.tcp = tcp;
    this.connections = connections;
  }

  /** UDP only: binds and returns once the socket is listening. */
  public static StatsdServer bind(
      StatsdTransport transport,
      InetSocketAddress address,
      EventLoopGroup group,
      ChannelHandler handler,
      int maxPacketSize) {
    return new StatsdServer(bindUdp(transport, address, group, handler, maxPacketSize), null, null);
  }

  /**
   * Binds UDP and, when {@code tcpAddress} is not null, TCP; returns once listening.
   *
   * @param maxPacketSize the largest datagram read whole, bytes
   * @param maxLineLength the longest TCP line, bytes
   * @param maxTcpConnections connections beyond this many are closed at once and counted
   * @throws IllegalStateException naming the address and its setting when it cannot be bound
   */
  public static StatsdServer bind(
      StatsdTransport transport,
      EventLoopGroup group,
      InetSocketAddress udpAddress,
      InetSocketAddress tcpAddress,
      PacketIngester ingester,
      Clock clock,
      int maxPacketSize,
      int maxLineLength,
      int maxTcpConnections) {
    Channel udp =
        bindUdp(
            transport,
            udpAddress,
            group,
            new StatsdDatagramHandler(ingester, clock, maxPacketSize),
            maxPacketSize);
    if (tcpAddress == null) {
      return new StatsdServer(udp, null, null);
    }
    ChannelGroup connections = new DefaultChannelGroup(udp.eventLoop());
    try {
      Channel tcp =
          bindTcp(
              transport,
              tcpAddress,
              group,
              ingester,
              clock,
              maxLineLength,
              maxTcpConnections,
              connections);
      return new StatsdServer(udp, tcp, connections);
    } catch (RuntimeException e) {
      udp.close().syncUninterruptibly();
      throw e;
    }
  }

  private static Channel bindUdp(
      StatsdTransport transport,
      InetSocketAddress address,
      EventLoopGroup group,
      ChannelHandler handler,
      int maxPacketSize) {
    // One byte more than the limit, so that a datagram filling its buffer is known to be cut.
    // (Netty's default for datagrams is 2048 bytes, which silently cuts larger packets.)
    int datagramBuffer = maxPacketSize + 1;
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(transport.datagramChannel())
            .option(ChannelOption.SO_RCVBUF, SO_RCVBUF)
            // Unpooled buffers: nothing is kept between reads, and no pool arenas to pay for.
            .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
            .handler(handler);
    if (transport == StatsdTransport.EPOLL) {
      // recvmmsg: one system call and one buffer for several datagrams, each a slice of it; with
      // NIO every datagram costs a system call and a buffer of its own.
      int datagramsPerRead =
          Math.max(1, Math.min(MAX_DATAGRAMS_PER_READ, READ_BUFFER_BYTES / datagramBuffer));
      int readBuffer = datagramsPerRead * datagramBuffer;
      if (datagramsPerRead > 1) {
        // traffic the event loop keeps up with is read in batches, not one wake-up per datagram
        bootstrap
            .option(ChannelOption.AUTO_READ, false)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new ReadPacer(MAX_DATAGRAMS_PER_WAKEUP, READ_PAUSE_NANOS), handler);
                  }
                });
      }
      bootstrap
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBuffer)
          // several datagrams per read: read on while reads fill the buffer (up to 64 datagrams
          // per wake-up), stop at the first that did not (no recvmmsg that finds nothing, and the
          // pacer knows the socket is drained); one per read: one read per wake-up, as before
          .option(
              ChannelOption.RECVBUF_ALLOCATOR,
              datagramsPerRead > 1
                  ? new DrainingRecvByteBufAllocator(readBuffer, MAX_DATAGRAMS_PER_WAKEUP)
                  : new FixedRecvByteBufAllocator(readBuffer))
          .option(ChannelOption.ALLOCATOR, READ_BUFFER_POOL);
    } else {
      bootstrap.option(
          ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(datagramBuffer));
    }
    try {
      return bootstrap.bind(address).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot listen for statsd on udp://"
              + hostPort(address)
              + " (FLEETSTATS_STATSD_ADDRESS): "
              + e,
          e);
    }
  }

  /**
   * The epoll read buffer comes from one 512 KiB pool of direct memory and goes back to it after
   * each read. Unpooled, a buffer of that size would be allocated and zeroed on every read, which
   * at 10 k datagrams/s (one per read) cost more CPU than recvmmsg saves; and the buffer must stay
   * under a quarter of the chunk, or Netty frees and re-creates (and zeroes) the chunk whenever it
   * empties (bench/README.md, edge-agent).
   */
  private static final PooledByteBufAllocator READ_BUFFER_POOL =
      new PooledByteBufAllocator(true, 0, 1, 8192, 6, 0, 0, false);

  private static Channel bindTcp(
      StatsdTransport transport,
      InetSocketAddress address,
      EventLoopGroup group,
      PacketIngester ingester,
      Clock clock,
      int maxLineLength,
      int maxConnections,
      ChannelGroup connections) {
    LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
    StatsdStats stats = ingester.stats();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
            .childOption(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (!stats.tcpConnectionOpened(maxConnections)) {
                      if (throttle.tryAcquire("refused") >= 0) {
                        log.warn(
                            "refused a statsd TCP connection from {}: {} are open; raise"
                                + " FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS",
                            ch.remoteAddress(),
                            maxConnections);
                      }
                      ch.close();
                      return;
                    }
                    ch.closeFuture().addListener(f -> stats.tcpConnectionClosed());
                    connections.add(ch);
                    tcpPipeline(ch, ingester, clock, maxLineLength);
                  }
                });
    try {
      return bootstrap.bind(address).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot listen for statsd on tcp://"
              + hostPort(address)
              + " (FLEETSTATS_STATSD_TCP_ADDRESS): "
              + e,
          e);
    }
  }

  /** The TCP connection pipeline: newline framing, then the shared ingester. */
  public static void tcpPipeline(
      Channel ch, PacketIngester ingester, Clock clock, int maxLineLength) {
    ch.pipeline()
        .addLast(new StatsdLineDecoder(maxLineLength), new StatsdLineHandler(ingester, clock));
  }

  private static String hostPort(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  /** The bound UDP address (with the actual port when 0 was asked for). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) udp.localAddress();
  }

  /** The bound TCP address, or null when TCP is off. */
  public InetSocketAddress tcpAddress() {
    return tcp == null ? null : (InetSocketAddress) tcp.localAddress();
  }

  /** True while the sockets are open. */
  public boolean isListening() {
    return udp.isActive() && (tcp == null || tcp.isActive());
  }

  /** The event loop that reads these sockets. */
  public EventLoop eventLoop() {
    return udp.eventLoop();
  }

  /** Stops listening and closes open TCP connections. */
  @Override
  public void close() {
    udp.close().syncUninterruptibly();
    if (tcp != null) {
      tcp.close().syncUninterruptibly();
      connections.close().syncUninterruptibly();
    }
  }
}
