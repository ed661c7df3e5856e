package io.fleetstats.edge.statsd;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * Reads the UDP socket in batches while traffic is dense and the event loop keeps up: after a read
 * loop that ended before {@code batch} datagrams (with {@link DrainingRecvByteBufAllocator}: it
 * found the socket drained), the next read is asked for only {@code pause} later when traffic is
 * dense: the loop came less than {@code pause} after the one before, or it followed a pause that
 * gathered more than one datagram. After a loop that reached {@code batch} (more are probably
 * waiting), or in sparse traffic (a pause would mostly gather nothing, and cost a timer and two
 * {@code epoll_ctl} on top of the wake-up), the next read is asked for at once. For a channel with
 * auto-read off: the pacer asks for every read itself.
 *
 * <p>Why: below saturation every datagram, or every few, used to wake the event loop on its own; on
 * this kind of VM a wake-up (scheduler switch, {@code epoll_wait}, a {@code recvmmsg}, a read
 * buffer) cost more than the datagram: about 14 µs of event-loop CPU per datagram at 10 k
 * datagrams/s, 3.4 µs at 100 k/s (bench/edge-agent/results-2026-11-26-session4.md). Waiting a
 * millisecond lets the kernel queue what arrives meanwhile, read then in one wake-up with a few
 * {@code recvmmsg} calls. A sample reaches its batch at most {@code pause} later (batches are
 * flushed every second); the socket's receive buffer holds what arrives during the pause. When the
 * loop cannot keep up, reads end at {@code batch} and follow each other without pause, as before.
 *
 * <p>Event loop only, like the channel it serves; time is the executor's ticker.
 */
final class ReadPacer extends ChannelInboundHandlerAdapter {
  private final int batch;
  private final long pauseNanos;
  private int datagrams;
  private boolean readScheduled;
  private long lastLoopEnd;
  private boolean looped;

  /** The loop now running was asked for by a paused read. */
  private boolean paced;

  /**
   * @param batch a read loop of this many datagrams (the channel's most per wake-up) is followed by
   *     the next read at once
   * @param pauseNanos the wait before the next read otherwise
   */
  ReadPacer(int batch, long pauseNanos) {
    if (batch < 1 || pauseNanos < 0) {
      throw new IllegalArgumentException("batch " + batch + ", pause " + pauseNanos + " ns");
    }
    this.batch = batch;
    this.pauseNanos = pauseNanos;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    datagrams++;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    int read = datagrams;
    datagrams = 0;
    ctx.fireChannelReadComplete();
    long now = ctx.executor().ticker().nanoTime();
    // dense: a pause gathered more than one datagram, or this loop came within a pause of the last
    boolean dense = paced ? read > 1 : looped && now - lastLoopEnd < pauseNanos;
    paced = false;
    lastLoopEnd = now;
    looped = true;
    if (read >= batch || !dense) {
      ctx.read();
    } else if (!readScheduled) {
      readScheduled = true;
      ctx.executor()
          .schedule(
              () -> {
                readScheduled = false;
                paced = true;
                ctx.read();
              },
              pauseNanos,
              TimeUnit.NANOSECONDS);
    }
  }
}
