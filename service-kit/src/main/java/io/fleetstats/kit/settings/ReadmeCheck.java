package io.fleetstats.kit.settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What each module's {@code SettingsDocTest} runs: the README's settings table must be what the
 * settings table renders. With {@code -Dfleetstats.writeDocs=true} it rewrites the README instead.
 */
public final class ReadmeCheck {
  private ReadmeCheck() {}

  /**
   * @return the README as it should be; the caller asserts it equals the file's text
   */
  public static String expected(Path readme, Settings table) {
    try {
      String text = Files.readString(readme);
      String expected = table.inReadme(text);
      if (Boolean.getBoolean("fleetstats.writeDocs") && !expected.equals(text)) {
        Files.writeString(readme, expected);
      }
      return expected;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
