package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StreamProcessorMainTest {

  @Test
  void helpListsEveryConfigKey() {
    StringWriter out = new StringWriter();
    CommandLine cli = StreamProcessorMain.commandLine(new StreamProcessorMain(Map.of()));
    cli.setOut(new PrintWriter(out));

    assertThat(cli.execute("--help")).isZero();
    assertThat(out.toString())
        .contains(
            "FLEETSTATS_KAFKA_BOOTSTRAP",
            "FLEETSTATS_APPLICATION_ID",
            "FLEETSTATS_TOPIC_PREFIX",
            "FLEETSTATS_WINDOW",
            "FLEETSTATS_GRACE",
            "FLEETSTATS_PERCENTILES",
            "FLEETSTATS_SKETCH_ACCURACY",
            "FLEETSTATS_STATE_DIR",
            "FLEETSTATS_STREAM_THREADS",
            "FLEETSTATS_COMMIT_INTERVAL",
            "FLEETSTATS_WALL_CLOCK_CLOSE",
            "FLEETSTATS_CREATE_TOPICS");
  }

  @Test
  void exitsWithTwoOnInvalidConfigBeforeTouchingKafka() {
    CommandLine cli = new CommandLine(new StreamProcessorMain(Map.of("FLEETSTATS_WINDOW", "soon")));

    assertThat(cli.execute()).isEqualTo(2);
  }
}
