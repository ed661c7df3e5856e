package io.fleetstats.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;

class LiveCommitsTest {
  private static final long NOW = 1_796_569_100_000L;
  private static final long LIVE_FOR = 25_000;

  private final MockProcessorContext<String, Emitted> context = new MockProcessorContext<>();

  @Test
  void aLiveWindowIsCommittedAtTheNextCheckNotAtTheCommitInterval() {
    context.setCurrentSystemTimeMs(NOW);
    LiveCommits commits = new LiveCommits(context, LIVE_FOR, true);
    assertThat(context.scheduledPunctuators()).hasSize(1);
    assertThat(context.scheduledPunctuators().get(0).getInterval()).isEqualTo(LiveCommits.CHECK);

    fire(); // nothing emitted yet: no request
    assertThat(context.committed()).isFalse();

    commits.emitted(NOW - 5_400); // a window closed 5.4 s after its end, as with grace 5 s
    commits.emitted(NOW - 5_300);
    assertThat(context.committed()).as("asked only by the check, once per check").isFalse();
    fire();
    assertThat(context.committed()).isTrue();
    assertThat(commits.requests()).isEqualTo(1);

    context.resetCommit();
    fire(); // nothing new since: no second request
    assertThat(context.committed()).isFalse();
    assertThat(commits.requests()).isEqualTo(1);
  }

  @Test
  void aBacklogsOldWindowsAskForNoCommit() {
    context.setCurrentSystemTimeMs(NOW);
    LiveCommits commits = new LiveCommits(context, LIVE_FOR, true);
    commits.emitted(NOW - LIVE_FOR - 1); // caught up after an outage: older than live
    commits.emitted(NOW - 3_600_000); // a replayed hour
    fire();
    assertThat(context.committed()).isFalse();
    assertThat(commits.requests()).isZero();
    commits.emitted(NOW - LIVE_FOR); // at the bound: live
    fire();
    assertThat(context.committed()).isTrue();
  }

  @Test
  void offSchedulesNothingAndNeverAsks() {
    context.setCurrentSystemTimeMs(NOW);
    LiveCommits commits = new LiveCommits(context, LIVE_FOR, false);
    assertThat(context.scheduledPunctuators()).isEmpty();
    commits.emitted(NOW - 5_000);
    commits.flush();
    assertThat(context.committed()).isFalse();
    assertThat(commits.requests()).isZero();
  }

  private void fire() {
    context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(NOW));
  }
}
