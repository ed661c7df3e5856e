package io.fleetstats.sink.kit;

import io.fleetstats.sink.kit.deadletter.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The records of one poll as a {@link Delivery} sees them, and which of them go to the dead-letter
 * topic. Records stay bytes: decoding is the delivery's, so a record that cannot be decoded is
 * dead-lettered with its original bytes instead of failing every poll at the same offset.
 */
public final class Polled {
  private final List<ConsumerRecord<byte[], byte[]>> records;
  private final DeadLetter[] dead;
  private final SinkLoop loop;

  Polled(List<ConsumerRecord<byte[], byte[]>> records, SinkLoop loop) {
    this.records = records;
    this.dead = new DeadLetter[records.size()];
    this.loop = loop;
  }

  /** The records, in poll order; indexes below refer to this list. */
  public List<ConsumerRecord<byte[], byte[]>> records() {
    return records;
  }

  public int size() {
    return records.size();
  }

  public ConsumerRecord<byte[], byte[]> get(int index) {
    return records.get(index);
  }

  /**
   * Sends record {@code index} to the dead-letter topic. A record has one dead letter: the first
   * reason given wins, since it is the one an operator must fix first.
   *
   * @param reason lower-case label, also the {@code reason} tag of {@code <prefix>.deadlettered}
   * @param line the first item of the record that was not sent, as text (empty if none)
   * @param detail what failed: the check, the receiver's answer
   */
  public void deadLetter(int index, String reason, String line, String detail) {
    if (dead[index] == null) {
      dead[index] = DeadLetter.of(records.get(index), reason, line, detail);
    }
  }

  /**
   * Record {@code index} cannot be decoded: it is dead-lettered as {@value SinkLoop#UNDECODABLE},
   * counted in {@code <prefix>.records.undecodable} and logged (throttled).
   *
   * @param problem what the decoder said
   */
  public void undecodable(int index, String problem) {
    deadLetter(index, SinkLoop.UNDECODABLE, "", problem);
    loop.undecodable(records.get(index), problem);
  }

  /** Whether record {@code index} goes to the dead-letter topic. */
  public boolean isDeadLettered(int index) {
    return dead[index] != null;
  }

  List<DeadLetter> deadLetters() {
    List<DeadLetter> letters = new ArrayList<>();
    for (DeadLetter d : dead) {
      if (d != null) {
        letters.add(d);
      }
    }
    return letters;
  }
}
