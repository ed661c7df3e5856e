package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.kit.settings.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MysqlConfigTest {

  @Test
  void isOffWithoutAServer() {
    MysqlConfig c = MysqlConfig.fromEnv(Map.of());
    assertThat(c.enabled()).isFalse();
    assertThat(c.summary()).isEqualTo("mysql poller off");
  }

  @Test
  void readsTheSeedsVariablesWithTelegrafsDefaults() {
    MysqlConfig c =
        MysqlConfig.fromEnv(
            Map.of(
                "MYSQL_SERVER",
                "mysql",
                "MYSQL_ID",
                "root",
                "MYSQL_PASSWORD",
                "pw",
                "INTERVAL",
                "60s"));
    assertThat(c.enabled()).isTrue();
    assertThat(c.jdbcUrl()).isEqualTo("jdbc:mysql://mysql:3306/");
    assertThat(c.server()).isEqualTo("mysql:3306");
    assertThat(c.user()).isEqualTo("root");
    assertThat(c.password()).isEqualTo("pw");
    assertThat(c.interval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.slowInterval()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.metricVersion()).isEqualTo(1);
    assertThat(c.groups())
        .containsExactlyInAnyOrder(
            Group.GLOBAL_STATUS,
            Group.GLOBAL_VARIABLES,
            Group.REPLICA_STATUS,
            Group.PROCESS_LIST,
            Group.USER_STATISTICS,
            Group.AUTO_INCREMENT,
            Group.INNODB_METRICS);
    assertThat(c.toString()).doesNotContain("pw,").contains("<hidden>");
  }

  @Test
  void aJdbcUrlGivesTheServerTagAndWinsOverMysqlServer() {
    MysqlConfig c =
        MysqlConfig.fromEnv(
            Map.of(
                MysqlConfig.URL.key(),
                "jdbc:mysql://db.example:3307/?useSSL=true",
                "MYSQL_SERVER",
                "other"));
    assertThat(c.server()).isEqualTo("db.example:3307");
    assertThat(c.safeUrl()).isEqualTo("mysql://db.example:3307");
  }

  @Test
  void theServerTagLeavesOutUserInfoInTheUrl() {
    MysqlConfig c =
        MysqlConfig.fromEnv(Map.of(MysqlConfig.URL.key(), "jdbc:mysql://app:secret@db:3306/"));
    assertThat(c.server()).isEqualTo("db:3306");
    assertThat(c.summary()).doesNotContain("secret");
  }

  @Test
  void readsThePasswordFromAMountedFile(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("password");
    Files.writeString(secret, "from-file\n");
    MysqlConfig c =
        MysqlConfig.fromEnv(
            Map.of(
                "MYSQL_SERVER",
                "db",
                "MYSQL_PASSWORD",
                "env",
                MysqlConfig.PASSWORD_FILE.key(),
                secret.toString()));
    assertThat(c.password()).isEqualTo("from-file");
    assertThat(c.connectionProperties().getProperty("password")).isEqualTo("from-file");
  }

  @Test
  void switchesGroupsByTelegrafsOptionNames() {
    MysqlConfig c =
        MysqlConfig.fromEnv(
            Map.of(
                "MYSQL_SERVER",
                "db",
                "FLEETSTATS_MYSQL_GATHER_PROCESS_LIST",
                "false",
                "FLEETSTATS_MYSQL_GATHER_EVENT_WAITS",
                "true",
                "FLEETSTATS_MYSQL_GATHER_REPLICA_STATUS",
                "false"));
    assertThat(c.groups())
        .doesNotContain(Group.PROCESS_LIST, Group.REPLICA_STATUS)
        .contains(Group.EVENT_WAITS, Group.GLOBAL_STATUS);
  }

  @Test
  void tlsSettingsReachTheDriver() {
    MysqlConfig c =
        MysqlConfig.fromEnv(
            Map.of("MYSQL_SERVER", "db", MysqlConfig.SSL_MODE.key(), "verify_identity"));
    assertThat(c.connectionProperties().getProperty("sslMode")).isEqualTo("VERIFY_IDENTITY");
    assertThat(c.connectionProperties().getProperty("allowPublicKeyRetrieval")).isEqualTo("false");
  }

  @Test
  void reportsEveryBadKeyAtOnceWithoutEchoingAUrlThatMayHoldAPassword() {
    assertThatThrownBy(
            () ->
                MysqlConfig.fromEnv(
                    Map.of(
                        MysqlConfig.URL.key(), "mysql://user:secret@db/",
                        MysqlConfig.SSL_MODE.key(), "sometimes",
                        MysqlConfig.METRIC_VERSION.key(), "3",
                        MysqlConfig.INTERVAL.key(), "10s",
                        MysqlConfig.SLOW_INTERVAL.key(), "1s",
                        MysqlConfig.PASSWORD_FILE.key(), "/nonexistent/pw",
                        MysqlConfig.TABLE_SCHEMA_DATABASES.key(), "app, x'; DROP")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(MysqlConfig.URL.key())
        .hasMessageContaining(MysqlConfig.SSL_MODE.key())
        .hasMessageContaining(MysqlConfig.METRIC_VERSION.key())
        .hasMessageContaining(MysqlConfig.SLOW_INTERVAL.key())
        .hasMessageContaining(MysqlConfig.PASSWORD_FILE.key())
        .hasMessageContaining(MysqlConfig.TABLE_SCHEMA_DATABASES.key())
        .hasMessageNotContaining("secret");
  }
}
