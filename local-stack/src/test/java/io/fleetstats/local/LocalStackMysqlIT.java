package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * The stack with the MySQL poller on, as {@code --mysql} sets it up, against the real MariaDB
 * (127.0.0.1:3306, user fleetstats, see .ci/run): poller → Kafka → stream processor → sink →
 * receiver, with the seed's Telegraf names and tags.
 */
class LocalStackMysqlIT {

  @Test
  void pollsMysqlAndDeliversTelegrafNamedLinesWithRates() {
    ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    try (LocalStack stack =
        LocalStack.start(
            new LocalStack.Options(
                0,
                0,
                Duration.ofSeconds(5),
                Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(),
                true,
                Optional.empty(),
                Map.of(
                    "FLEETSTATS_MYSQL_URL", "jdbc:mysql://127.0.0.1:3306/",
                    "FLEETSTATS_MYSQL_USER", "fleetstats",
                    "FLEETSTATS_MYSQL_PASSWORD", "fleetstats",
                    "FLEETSTATS_MYSQL_INTERVAL", "1s",
                    "POD_NAME", "mysql-0",
                    "NODE_HOSTNAME", "node-3",
                    "CLUSTER_NAME", "local",
                    "NAMESPACE", "db"),
                lines::add))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  find(lines, "\"mysql.questions.rate\"").isPresent()
                      && find(lines, "\"mysql.bytes.received\"").isPresent());
      String rate = find(lines, "\"mysql.questions.rate\"").get();
      assertThat(rate)
          .contains(" source=\"node-3\"")
          .contains("\"server\"=\"127.0.0.1:3306\"")
          .contains("\"pod_name\"=\"mysql-0\"")
          .contains("\"cluster\"=\"local\"")
          .contains("\"namespace\"=\"db\"")
          .doesNotContain("metric_type");
      assertThat(Double.parseDouble(rate.split(" ")[1])).isPositive();
      // metric_version 1 (the seed's): Com_select → commands_select; process list per state
      assertThat(find(lines, "\"mysql.commands.select\"")).isPresent();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  find(lines, "\"mysql_info_schema.threads.idle\"").isPresent()
                      || find(lines, "\"mysql.info.schema.threads.idle\"").isPresent());
      // the demo pods do not poll MySQL: every mysql line comes from the stack's own agent
      List<String> mysqlLines = lines.stream().filter(l -> l.startsWith("\"mysql")).toList();
      assertThat(mysqlLines).allSatisfy(l -> assertThat(l).contains("\"pod_name\"=\"mysql-0\""));
      assertThat(stack.agent().mysql().orElseThrow().poller().pollsFailed()).isZero();
    }
  }

  private static Optional<String> find(ConcurrentLinkedQueue<String> lines, String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix + " ")).findFirst();
  }
}
