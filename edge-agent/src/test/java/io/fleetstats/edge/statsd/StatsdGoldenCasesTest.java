package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole datagrams through the {@link PacketIngester}: each folder under {@code
 * src/test/resources/statsd/cases/} holds {@code input} (the payload, bytes as sent), optional
 * {@code options} ({@link ParserSpec} items, plus {@code cut} for a datagram larger than the
 * receive buffer) and {@code expected}: every accepted sample in order, rendered as {@link
 * ParserSpec#render(StatsdSample)}, then the counters. Run with {@code -Dstatsd.golden.record=true}
 * to rewrite the expected files (then review the diff).
 */
class StatsdGoldenCasesTest {
  private static final Path CASES = Paths.get("src/test/resources/statsd/cases");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(CASES)) {
      return dirs
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesGolden(String name) throws IOException {
    Path dir = CASES.resolve(name);
    byte[] input = Files.readAllBytes(dir.resolve("input"));
    String spec =
        Files.exists(dir.resolve("options"))
            ? Files.readString(dir.resolve("options")).strip()
            : "";
    boolean cut = false;
    List<String> items = new ArrayList<>();
    for (String item : spec.split(";")) {
      if (item.strip().equals("cut")) {
        cut = true;
      } else {
        items.add(item);
      }
    }
    StatsdStats stats = new StatsdStats();
    List<String> out = new ArrayList<>();
    PacketIngester ingester =
        new PacketIngester(
            new StatsdParser(ParserSpec.options(String.join(";", items))),
            (sample, at) -> out.add(ParserSpec.render(sample)),
            stats);
    ingester.ingest(input, 0, input.length, cut, 0L);

    out.add("");
    out.add(
        "lines="
            + stats.lines()
            + " samples="
            + stats.samples()
            + " rejected="
            + stats.rejectedTotal());
    for (RejectReason r : RejectReason.values()) {
      if (stats.rejected(r) > 0) {
        out.add("rejected " + r + "=" + stats.rejected(r));
      }
    }
    String actual = String.join("\n", out) + "\n";
    Path expected = dir.resolve("expected");
    if (Boolean.getBoolean("statsd.golden.record")) {
      try {
        Files.writeString(expected, actual, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    assertThat(actual).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
  }
}
