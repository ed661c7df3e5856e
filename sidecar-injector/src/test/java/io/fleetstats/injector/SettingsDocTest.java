package io.fleetstats.injector;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.kit.settings.ReadmeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's settings table is the one the code declares ({@link InjectorConfig#SETTINGS}). */
class SettingsDocTest {
  @Test
  void readmeListsEverySettingWithItsDefault() throws IOException {
    Path readme = Path.of("README.md");
    String expected = ReadmeCheck.expected(readme, InjectorConfig.SETTINGS);

    assertThat(Files.readString(readme))
        .as(
            "sidecar-injector/README.md differs from InjectorConfig.SETTINGS; run this test with -Dfleetstats.writeDocs=true")
        .isEqualTo(expected);
  }
}
