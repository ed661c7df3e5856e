package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotBuilderTest {
  static final Source SOURCE =
      Source.newBuilder().setCluster("c").setNamespace("n").setNode("node").setPod("p").build();

  @Test
  void putsMysqlWithOnlyTheServerTagAtTopLevelAndTheRestInSeries() {
    SnapshotBuilder b = new SnapshotBuilder();
    b.mysql().counter("questions", 10).gauge("threads_connected", 2);
    b.series("mysql_users", Map.of("user", "app")).gauge("connections", 3);
    b.series("mysql_users", Map.of("user", "app")).gauge("connections", 4);
    b.series("mysql_users", Map.of("user", "ops")).gauge("connections", 1);
    b.series("mysql_innodb", Map.of()).counter("dml_reads", 5).gauge("nan", Double.NaN);
    b.series("mysql_process_list", Map.of()); // nothing put: no series

    MysqlSnapshot s =
        b.build(SOURCE, "db:3306", 1000, ServerInfo.parse("8.4.3", "", false, false, false));

    assertThat(s.getCounters()).containsExactly(Map.entry("questions", 10.0));
    assertThat(s.getGauges()).containsExactly(Map.entry("threads_connected", 2.0));
    assertThat(s.getSeries())
        .extracting(x -> x.getMeasurement() + x.getTags() + x.getCounters() + x.getGauges())
        .containsExactly(
            "mysql_users{user=app}{}{connections=4.0}",
            "mysql_users{user=ops}{}{connections=1.0}",
            "mysql_innodb{}{dml_reads=5.0}{}");
    assertThat(s.getFlavor()).isEqualTo("MySQL");
    assertThat(s.getVersion()).isEqualTo("8.4.3");
    assertThat(b.size()).isEqualTo(5);
  }
}
