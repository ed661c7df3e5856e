package io.fleetstats.edge.statsd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.util.List;

/**
 * Newline framing for statsd over TCP: each {@code \n}-terminated line (a trailing {@code \r}
 * dropped) becomes one frame; a line longer than the limit is discarded up to its newline and
 * reported as a {@link io.netty.handler.codec.TooLongFrameException} without closing the
 * connection. Unlike Netty's decoder, an unterminated last line is still delivered when the client
 * closes, as Telegraf's {@code bufio.Scanner} does.
 */
public final class StatsdLineDecoder extends LineBasedFrameDecoder {
  private final int maxLength;

  /** @param maxLength the longest line in bytes ({@code FLEETSTATS_STATSD_MAX_LINE_LENGTH}) */
  public StatsdLineDecoder(int maxLength) {
    super(maxLength, true, false);
    this.maxLength = maxLength;
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    super.decodeLast(ctx, in, out);
    int rest = in.readableBytes();
    if (rest > 0 && rest <= maxLength) {
      out.add(in.readRetainedSlice(rest));
    } else if (rest > maxLength) {
      in.skipBytes(rest);
      ctx.fireExceptionCaught(
          new io.netty.handler.codec.TooLongFrameException(
              "frame length (" + rest + ") exceeds the allowed maximum (" + maxLength + ')'));
    }
  }
}
