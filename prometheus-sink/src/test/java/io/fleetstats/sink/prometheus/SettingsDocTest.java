package io.fleetstats.sink.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.kit.settings.ReadmeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's settings table is the one the code declares ({@link PromSinkConfig#SETTINGS}). */
class SettingsDocTest {
  @Test
  void readmeListsEverySettingWithItsDefault() throws IOException {
    Path readme = Path.of("README.md");
    String expected = ReadmeCheck.expected(readme, PromSinkConfig.SETTINGS);

    assertThat(Files.readString(readme))
        .as(
            "prometheus-sink/README.md differs from PromSinkConfig.SETTINGS;"
                + " run this test with -Dfleetstats.writeDocs=true")
        .isEqualTo(expected);
  }
}
