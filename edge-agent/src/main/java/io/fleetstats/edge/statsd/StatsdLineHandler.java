package io.fleetstats.edge.statsd;

import io.fleetstats.kit.LogThrottle;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty side of the TCP listener, after {@link StatsdLineDecoder}: hands each line to the same
 * {@link PacketIngester} the UDP handler uses. A too-long line is counted as {@link
 * RejectReason#LINE_TOO_LONG} and the connection stays open; an I/O error closes only that
 * connection.
 */
public final class StatsdLineHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(StatsdLineHandler.class);
  private static final LogThrottle THROTTLE = new LogThrottle(Duration.ofSeconds(10));

  private final PacketIngester ingester;
  private final Clock clock;

  public StatsdLineHandler(PacketIngester ingester, Clock clock) {
    this.ingester = ingester;
    this.clock = clock;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf line) {
      try {
        ingester.stats().tcpLineReceived(line.readableBytes());
        int length = line.readableBytes();
        if (ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress from) {
          ingester.sender(from);
        }
        if (line.hasArray()) {
          ingester.ingest(
              line.array(), line.arrayOffset() + line.readerIndex(), length, false, clock.millis());
        } else {
          ingester.ingest(ByteBufUtil.getBytes(line), 0, length, false, clock.millis());
        }
      } finally {
        line.release();
      }
    } else if (msg instanceof StatsdLineDecoder.TooLongLine tooLong) {
      ingester.stats().tcpLineReceived(0);
      ingester.rejectUnread(
          RejectReason.LINE_TOO_LONG,
          "<a " + tooLong.length() + "-byte line from " + ctx.channel().remoteAddress() + ">");
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException) && THROTTLE.tryAcquire(cause.getClass()) >= 0) {
      log.warn(
          "statsd TCP connection from {} failed; closing it", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }
}
