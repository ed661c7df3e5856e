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
  void afterALightReadLoopTheNextReadWaitsForThePause() {
    readLoop(1);
    assertThat(reads).isEqualTo(1);

    advanceMicros(PAUSE_MICROS - 1);
    assertThat(reads).isEqualTo(1);

    advanceMicros(1);
    assertThat(reads).isEqualTo(2);
  }

  @Test
  void afterAReadLoopOfAtLeastOneBatchReadsAtOnce() {
    readLoop(BATCH);

    assertThat(reads).isEqualTo(2);
  }

  @Test
  void anEmptyReadLoopWaitsToo() {
    channel.pipeline().fireChannelReadComplete();
    assertThat(reads).isEqualTo(1);

    advanceMicros(PAUSE_MICROS);
    assertThat(reads).isEqualTo(2);
  }

  @Test
  void keepsOneWaitingReadAtATime() {
    readLoop(2);
    readLoop(3);

    advanceMicros(PAUSE_MICROS);
    assertThat(reads).isEqualTo(2);
  }

  @Test
  void countsEachReadLoopOnItsOwn() {
    readLoop(BATCH - 1);
    advanceMicros(PAUSE_MICROS);
    readLoop(BATCH - 1); // 12 since the start, but 6 in this loop: it waits again

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
