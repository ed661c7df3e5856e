package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerInfoTest {

  @ParameterizedTest(name = "{0} → {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.11.19-MariaDB-0+deb12u1 | Debian 12 | MariaDB | 10 | 11 | SHOW ALL SLAVES STATUS | ENABLED = 1",
        "5.5.5-10.11.19-MariaDB | mariadb.org binary distribution | MariaDB | 10 | 11 | SHOW ALL SLAVES STATUS | ENABLED = 1",
        "10.4.34-MariaDB | MariaDB Server | MariaDB | 10 | 4 | SHOW ALL SLAVES STATUS | STATUS = 'enabled'",
        "8.4.3 | MySQL Community Server - GPL | MySQL | 8 | 4 | SHOW REPLICA STATUS | STATUS = 'enabled'",
        "8.0.22 | MySQL Community Server - GPL | MySQL | 8 | 0 | SHOW REPLICA STATUS | STATUS = 'enabled'",
        "8.0.21 | MySQL Community Server - GPL | MySQL | 8 | 0 | SHOW SLAVE STATUS | STATUS = 'enabled'",
        "5.7.44-log | MySQL Community Server (GPL) | MySQL | 5 | 7 | SHOW SLAVE STATUS | STATUS = 'enabled'",
        "8.0.36-28 | Percona Server (GPL), Release 28 | Percona | 8 | 0 | SHOW REPLICA STATUS | STATUS = 'enabled'"
      })
  void detectsFlavourVersionAndDialect(
      String version,
      String comment,
      String flavor,
      int major,
      int minor,
      String replica,
      String innodb) {
    ServerInfo info = ServerInfo.parse(version, comment, false, false, false);
    assertThat(info.flavor()).isEqualTo(flavor);
    assertThat(info.major()).isEqualTo(major);
    assertThat(info.minor()).isEqualTo(minor);
    assertThat(info.replicaStatusQuery()).isEqualTo(replica);
    assertThat(info.innodbEnabledFilter()).isEqualTo(innodb);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "binary logs off | BINARY_LOGS | 8.4.3 | false | false | --log-bin",
        "perf schema off | TABLE_IO_WAITS | 8.4.3 | false | true | --performance-schema=ON",
        "perf schema on | TABLE_IO_WAITS | 8.4.3 | true | true | ",
        "MySQL has no user_statistics | USER_STATISTICS | 8.4.3 | true | true | MariaDB and Percona only",
        "MariaDB has user_statistics | USER_STATISTICS | 10.11.19-MariaDB | true | true | "
      })
  void saysWhatTheServerLacksAndHowToEnableIt(
      String row, Group group, String version, boolean ps, boolean logBin, String reason) {
    String lacks = ServerInfo.parse(version, "", ps, logBin, false).lacks(group);
    if (reason == null) {
      assertThat(lacks).isNull();
    } else {
      assertThat(lacks).contains(reason);
    }
  }
}
