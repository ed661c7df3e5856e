package io.fleetstats.edge.statsd;

import io.fleetstats.kit.LogThrottle;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty side of the UDP listener: hands each datagram's bytes to the {@link PacketIngester}.
 * Receive time is taken once per datagram from the injected clock. One channel, one thread.
 */
public final class StatsdDatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {
  private static final Logger log = LoggerFactory.getLogger(StatsdDatagramHandler.class);

  private final PacketIngester ingester;
  private final Clock clock;
  private final int maxPacketSize;
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
  private byte[] scratch = new byte[0];

  /**
   * @param maxPacketSize the largest datagram read whole, in bytes; the server's receive buffer is
   *     one byte larger, so a datagram that fills it was cut: it is counted, its complete lines are
   *     used and its last, cut line is rejected
   */
  public StatsdDatagramHandler(PacketIngester ingester, Clock clock, int maxPacketSize) {
    this.ingester = ingester;
    this.clock = clock;
    this.maxPacketSize = maxPacketSize;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
    long receivedAt = clock.millis();
    ByteBuf content = packet.content();
    int size = content.readableBytes();
    boolean cut = size > maxPacketSize;
    ingester.packetReceived(size, cut);
    if (cut && throttle.tryAcquire("cut") >= 0) {
      log.warn(
          "statsd datagram from {} is larger than {} bytes and was cut; its last line is rejected"
              + " (DATAGRAM_TOO_LARGE); raise FLEETSTATS_STATSD_MAX_PACKET_SIZE or lower the client's"
              + " max packet size",
          packet.sender(),
          maxPacketSize);
    }
    int length = Math.min(size, maxPacketSize);
    ingester.sender(packet.sender());
    if (content.hasArray()) {
      ingester.ingest(
          content.array(), content.arrayOffset() + content.readerIndex(), length, cut, receivedAt);
    } else {
      // Direct buffers (the epoll transport's): one copy into a reused array, cheaper than a
      // String per datagram and simpler than parsing through the ByteBuf interface.
      if (scratch.length < length) {
        scratch = new byte[length];
      }
      content.getBytes(content.readerIndex(), scratch, 0, length);
      ingester.ingest(scratch, 0, length, cut, receivedAt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A UDP socket serves every client: one bad read must not close it, so log and keep going.
    long heldBack = throttle.tryAcquire(cause.getClass());
    if (heldBack >= 0) {
      log.warn("statsd listener error ({} more since the last report)", heldBack, cause);
    }
  }
}
