package io.fleetstats.edge.statsd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.util.List;

/**
 * Newline framing for statsd over TCP: each {@code \n}-terminated line (a trailing {@code \r}
 * dropped) becomes one {@link ByteBuf} frame. A line longer than the limit is skipped up to its
 * newline without buffering it and becomes a {@link TooLongLine} in its place, so the handler
 * counts it in order and the connection stays open. An unterminated last line is still delivered
 * when the client closes, as Telegraf's {@code bufio.Scanner} does.
 */
public final class StatsdLineDecoder extends ByteToMessageDecoder {
  /** Stands for a line that was longer than the limit and was skipped. */
  public record TooLongLine(long length) {}

  private final int maxLength;
  private boolean discarding;
  private long discarded;

  /**
   * @param maxLength the longest line in bytes ({@code FLEETSTATS_STATSD_MAX_LINE_LENGTH})
   */
  public StatsdLineDecoder(int maxLength) {
    this.maxLength = maxLength;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (in.isReadable()) {
      int eol = in.forEachByte(ByteProcessor.FIND_LF);
      if (discarding) {
        if (eol < 0) {
          discarded += in.readableBytes();
          in.skipBytes(in.readableBytes());
          return;
        }
        discarded += eol - in.readerIndex();
        in.readerIndex(eol + 1);
        discarding = false;
        out.add(new TooLongLine(discarded));
        continue;
      }
      if (eol < 0) {
        if (in.readableBytes() > maxLength) {
          discarding = true;
          discarded = in.readableBytes();
          in.skipBytes(in.readableBytes());
        }
        return;
      }
      int length = eol - in.readerIndex();
      int frame = length > 0 && in.getByte(eol - 1) == '\r' ? length - 1 : length;
      if (frame > maxLength) {
        in.readerIndex(eol + 1);
        out.add(new TooLongLine(frame));
      } else {
        out.add(in.readRetainedSlice(frame));
        in.skipBytes(length - frame + 1);
      }
    }
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    decode(ctx, in, out);
    if (discarding) {
      discarding = false;
      out.add(new TooLongLine(discarded));
    } else if (in.isReadable()) {
      out.add(in.readRetainedSlice(in.readableBytes()));
    }
  }
}
