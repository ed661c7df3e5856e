package io.fleetstats.edge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
  private static PendingBatch batch(long sequence, int samples, int valueBytes) {
    return new PendingBatch(
        ("key-" + sequence).getBytes(), new byte[valueBytes], 1_000 + sequence, samples, sequence);
  }

  @Test
  void returnsBatchesOldestFirstAndDeletesTheirFiles(@TempDir Path dir) throws IOException {
    Spool spool = new Spool(dir, 1 << 20);
    spool.write(batch(1, 10, 100));
    spool.write(batch(2, 20, 100));

    PendingBatch first = spool.poll();
    assertThat(first.sequence()).isEqualTo(1);
    assertThat(first.samples()).isEqualTo(10);
    assertThat(first.timestamp()).isEqualTo(1_001);
    assertThat(new String(first.key())).isEqualTo("key-1");
    assertThat(first.value()).hasSize(100);
    assertThat(spool.poll().sequence()).isEqualTo(2);
    assertThat(spool.poll()).isNull();
    assertThat(spool.bytes()).isZero();
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void evictsTheOldestBeyondItsBoundAndReportsTheirSamples(@TempDir Path dir) throws IOException {
    Spool spool = new Spool(dir, 2_000);
    assertThat(spool.write(batch(1, 11, 900))).isEmpty();
    assertThat(spool.write(batch(2, 22, 900))).isEmpty();
    assertThat(spool.write(batch(3, 33, 900))).containsExactly(11);

    assertThat(spool.batches()).isEqualTo(2);
    assertThat(spool.samples()).isEqualTo(55);
    assertThat(spool.bytes()).isLessThanOrEqualTo(2_000);
    assertThat(spool.poll().sequence()).isEqualTo(2);
  }

  @Test
  void dropsABatchLargerThanTheWholeSpool(@TempDir Path dir) throws IOException {
    Spool spool = new Spool(dir, 500);
    assertThat(spool.write(batch(1, 7, 1_000))).containsExactly(7);
    assertThat(spool.isEmpty()).isTrue();
  }

  @Test
  void keepsBatchesAcrossRestartsAndIgnoresLeftoverTemporaryFiles(@TempDir Path dir)
      throws IOException {
    Spool spool = new Spool(dir, 1 << 20);
    spool.write(batch(1, 5, 10));
    spool.write(batch(2, 6, 10));
    Files.writeString(dir.resolve("99.tmp"), "half a batch");
    Files.writeString(dir.resolve("README"), "not ours");

    Spool reopened = new Spool(dir, 1 << 20);
    assertThat(reopened.batches()).isEqualTo(2);
    assertThat(reopened.samples()).isEqualTo(11);
    reopened.write(batch(3, 7, 10));
    assertThat(reopened.poll().sequence()).isEqualTo(1);
    assertThat(reopened.poll().sequence()).isEqualTo(2);
    assertThat(reopened.poll().sequence()).isEqualTo(3);
    assertThat(Files.exists(dir.resolve("99.tmp"))).isFalse();
    assertThat(Files.exists(dir.resolve("README"))).isTrue();
  }
}
