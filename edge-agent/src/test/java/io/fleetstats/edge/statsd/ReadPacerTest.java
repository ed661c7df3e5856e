package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pacer on a channel with auto-read off, its read requests counted, time advanced by hand. */
class ReadPacerTest {
  private static final int BATCH = 7;
  private static final long PAUSE_MICROS = 1_000;

  private final EmbeddedChannel channel = new EmbeddedChannel(false, false);
  private int reads;

  @BeforeEach
  void setUp() throws Exception {
    channel.config().setAutoRead(false);
    channel
        .pipeline()
        .addLast(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void read(ChannelHandlerContext ctx) {
                reads++;
                ctx.read();
              }
            },
            new ReadPacer(BATCH, TimeUnit.MICROSECONDS.toNanos(PAUSE_MICROS)));
    channel.register();
    channel.freezeTime();
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  /** One read loop of Netty's: its datagrams, then channelReadComplete. */
  private void readLoop(int datagrams) {
    Object[] messages = new Object[datagrams];
    for (int i = 0; i < datagrams; i++) {
      messages[i] = "datagram " + i;
    }
    channel.writeInbound(messages);
  }

  private void advanceMicros(long micros) {
    channel.advanceTimeBy(micros, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
  }

  @Test
  void asksForTheFirstReadWhenTheChannelIsActive() {
    assertThat(reads).isEqualTo(1);
  }

  @Test
  void sparseTrafficIsReadAtOnce() {
    readLoop(1); // the first loop
    assertThat(reads).isEqualTo(2);

    advanceMicros(PAUSE_MICROS); // the next comes a pause later or more
    readLoop(1);
    assertThat(reads).isEqualTo(3);
  }

  @Test
  void denseTrafficWaitsForThePauseBeforeTheNextRead() {
    readLoop(1);
    advanceMicros(PAUSE_MICROS - 1);
    readLoop(1); // within a pause of the loop before
    assertThat(reads).isEqualTo(2);

    advanceMicros(PAUSE_MICROS - 1);
    assertThat(reads).isEqualTo(2);

    advanceMicros(1);
    assertThat(reads).isEqualTo(3);
  }

  @Test
  void staysPacedWhileEachPauseGathersMoreThanOneDatagram() {
    readLoop(1);
    readLoop(1); // dense: waits
    advanceMicros(PAUSE_MICROS);
    assertThat(reads).isEqualTo(3);

    readLoop(5); // the paused read's loop
    assertThat(reads).isEqualTo(3);
    advanceMicros(PAUSE_MICROS);
    assertThat(reads).isEqualTo(4);
  }

  @Test
  void aPauseThatGatheredOneDatagramEndsPacing() {
    readLoop(1);
    readLoop(1);
    advanceMicros(PAUSE_MICROS);

    readLoop(1); // the paused read's loop: sparse traffic
    assertThat(reads).isEqualTo(4);
  }

  @Test
  void afterAReadLoopOfAtLeastOneBatchReadsAtOnce() {
    readLoop(1);
    readLoop(BATCH);

    assertThat(reads).isEqualTo(3);
  }

  @Test
  void anEmptyDenseReadLoopWaitsToo() {
    readLoop(1);
    channel.pipeline().fireChannelReadComplete();
    assertThat(reads).isEqualTo(2);

    advanceMicros(PAUSE_MICROS);
    assertThat(reads).isEqualTo(3);
  }

  @Test
  void keepsOneWaitingReadAtATime() {
    readLoop(1);
    readLoop(2);
    readLoop(3);

    advanceMicros(PAUSE_MICROS);
    assertThat(reads).isEqualTo(3);
  }

  @Test
  void countsEachReadLoopOnItsOwn() {
    readLoop(1);
    readLoop(BATCH - 1);
    readLoop(BATCH - 1); // 13 since the start, but 6 in this loop: no read at once

    assertThat(reads).isEqualTo(2);
  }

  @Test
  void passesEveryDatagramOnInOrder() {
    readLoop(3);

    assertThat((Object) channel.readInbound()).isEqualTo("datagram 0");
    assertThat((Object) channel.readInbound()).isEqualTo("datagram 1");
    assertThat((Object) channel.readInbound()).isEqualTo("datagram 2");
  }

  @Test
  void withoutAPauseAlwaysReadsAtOnce() {
    EmbeddedChannel unpaced = new EmbeddedChannel(new ReadPacer(BATCH, 0));
    try {
      unpaced.writeInbound("one");
      assertThat((Object) unpaced.readInbound()).isEqualTo("one");
      assertThat(unpaced.hasPendingTasks()).isFalse();
    } finally {
      unpaced.finishAndReleaseAll();
    }
  }

  @Test
  void rejectsABatchBelowOne() {
    assertThatThrownBy(() -> new ReadPacer(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
