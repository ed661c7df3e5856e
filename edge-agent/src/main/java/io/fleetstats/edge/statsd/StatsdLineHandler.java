package io.fleetstats.edge.statsd;

import io.fleetstats.edge.LogThrottle;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty side of the TCP listener, after {@link StatsdLineDecoder}: hands each line to the
 * same {@link PacketIngester} the UDP handler uses. A too-long line is counted as
 * {@link RejectReason#LINE_TOO_LONG} and the connection stays open; I/O errors close only that
 * connection.
 */
public final class StatsdLineHandler extends SimpleChannelInboundHandler<ByteBuf> {
  private static final Logger log = LoggerFactory.getLogger(StatsdLineHandler.class);
  private static final LogThrottle THROTTLE = new LogThrottle(Duration.ofSeconds(10));

  private final PacketIngester ingester;
  private final Clock clock;

  public StatsdLineHandler(PacketIngester ingester, Clock clock) {
    this.ingester = ingester;
    this.clock = clock;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
    int size = line.readableBytes();
    ingester.stats().tcpLineReceived(size);
    ingester.ingest(line.toString(StandardCharsets.UTF_8), false, clock.millis());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      ingester.rejectUnread(RejectReason.LINE_TOO_LONG, "<" + cause.getMessage() + " from " + ctx.channel().remoteAddress() + ">");
      return;
    }
    if (!(cause instanceof IOException) && THROTTLE.tryAcquire(cause.getClass()) >= 0) {
      log.warn("statsd TCP connection from {} failed; closing it", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }
}
