package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Property test over 1.2 M random and mutated lines (seeded, so a failure is reproducible): no
 * exception escapes the parser or the ingester, and every line is either samples that satisfy the
 * limits or a counted reject, so that {@code lines = accepted lines + rejected} and the samples the
 * sink saw are exactly the samples of the accepted lines.
 */
class StatsdParserFuzzTest {
  private static final long SEED = 20261125L;
  private static final int RANDOM_LINES = 400_000;
  private static final int MUTATED_LINES = 800_000;
  private static final String ALPHABET = "abcXYZ019._-/ :|@#,=[]+-eET.sgcmhd\t\u00e9\u4e2d\u0000";
  private static final String[] TOKENS = {
    "|",
    ":",
    "#",
    "@",
    ",",
    "=",
    "[",
    "]",
    "|#",
    "|@",
    "|c",
    "|ms",
    "|g",
    "|s",
    "|h",
    "|d",
    "|T",
    "|c:",
    "|e:",
    "@0.5",
    "@0",
    "@1e-9",
    ":+",
    ":-",
    "1e308",
    "1e999",
    "NaN",
    "Infinity",
    "_e{",
    "_sc|",
    "\ud83d\ude00",
    "\ud800",
    " ",
    "\t",
    "measurement",
    "::",
    "||",
    "#k:v,",
    "[a=b]"
  };

  private final StatsdOptions options =
      ParserSpec.options(
          "maxLine=512;maxName=64;maxTags=8;maxTag=32;template=* measurement.host.field*");
  private final StatsdParser parser = new StatsdParser(options);
  private final StatsdParser defaults = new StatsdParser();

  @Test
  void everyLineIsSamplesOrACountedReject() throws IOException {
    Random random = new Random(SEED);
    List<String> corpus = corpus();
    StatsdStats stats = new StatsdStats();
    long[] sunk = new long[1];
    PacketIngester ingester = new PacketIngester(parser, (s, t) -> sunk[0]++, stats);
    long okLines = 0;
    long samples = 0;
    long nonEmpty = 0;
    for (int n = 0; n < RANDOM_LINES + MUTATED_LINES; n++) {
      // As a socket delivers it: UTF-8 bytes (a lone surrogate does not survive the encoding).
      String line =
          onTheWire(
              n < RANDOM_LINES
                  ? randomLine(random)
                  : mutate(corpus.get(random.nextInt(corpus.size())), random));
      boolean cut = random.nextInt(50) == 0;
      ParseResult result;
      try {
        result = parser.parse(line);
        // The default options too: no templates, larger limits, other paths.
        if (defaults.parse(line) == null) {
          fail("null for " + escape(line));
        }
        ingester.ingest(line, cut, n);
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + SEED + ", line " + n + ": " + escape(line), e);
      }
      if (result instanceof ParseResult.Ok ok) {
        checkSamples(ok, line);
        // The generated lines hold no newline: the ingester reads each as one line, and rejects
        // it as cut when its payload is marked so.
        if (!line.isEmpty() && !cut) {
          okLines++;
          samples += ok.samples().size();
        }
      } else if (!(result instanceof ParseResult.Rejected)) {
        fail("neither samples nor a reject for " + escape(line));
      }
      if (!line.isEmpty()) {
        nonEmpty++;
      }
    }
    assertThat(nonEmpty).isGreaterThan(1_000_000);
    assertThat(stats.lines()).isEqualTo(okLines + stats.rejectedTotal());
    assertThat(stats.samples()).isEqualTo(samples).isEqualTo(sunk[0]);
    assertThat(okLines).as("the mutations keep a good share valid").isGreaterThan(50_000);
    assertThat(stats.rejectedTotal()).isGreaterThan(100_000);
  }

  private void checkSamples(ParseResult.Ok ok, String line) {
    if (ok.samples().isEmpty()) {
      fail("no samples and no reject for " + escape(line));
    }
    for (StatsdSample s : ok.samples()) {
      if (s.name().isEmpty()
          || s.name().length() > options.maxNameLength()
          || s.tags().size() > options.maxTags()
          || !(s.sampleRate() > 0 && s.sampleRate() <= 1)
          || !Double.isFinite(s.value())
          || s.tags().entrySet().stream()
              .anyMatch(
                  e ->
                      e.getKey().length() > options.maxTagLength()
                          || e.getValue().length() > options.maxTagLength())) {
        fail("sample breaks a limit: " + s + " from " + escape(line));
      }
    }
  }

  static String onTheWire(String line) {
    return new String(line.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  static String randomLine(Random random) {
    int length = random.nextInt(random.nextInt(10) == 0 ? 700 : 40);
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      if (random.nextInt(6) == 0) {
        b.append(TOKENS[random.nextInt(TOKENS.length)]);
      } else {
        b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
    }
    return b.toString();
  }

  static String mutate(String line, Random random) {
    StringBuilder b = new StringBuilder(line);
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = b.length() == 0 ? 0 : random.nextInt(b.length() + 1);
      switch (random.nextInt(7)) {
        case 0 -> b.insert(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        case 1 -> {
          if (at < b.length()) {
            b.deleteCharAt(at);
          }
        }
        case 2 -> {
          if (at < b.length()) {
            b.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
          }
        }
        case 3 -> b.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
        case 4 -> b.setLength(Math.min(b.length(), at));
        case 5 -> {
          int to = Math.min(b.length(), at + random.nextInt(12));
          b.insert(at, b.substring(at, to));
        }
        default -> b.append(line, 0, Math.min(line.length(), random.nextInt(line.length() + 1)));
      }
    }
    return b.toString();
  }

  /** Seed lines: every golden input line and every table row of the grammar tests. */
  static List<String> corpus() throws IOException {
    List<String> lines = new ArrayList<>();
    Path cases = Paths.get("src/test/resources/statsd/cases");
    try (Stream<Path> dirs = Files.list(cases)) {
      for (Path dir : dirs.toList()) {
        for (String line :
            Files.readString(dir.resolve("input"), StandardCharsets.UTF_8).split("\n")) {
          lines.add(line);
        }
      }
    }
    Stream.of(
            StatsdGrammarTest.telegrafCases(),
            StatsdGrammarTest.tagDialects(),
            StatsdGrammarTest.values())
        .flatMap(s -> s)
        .forEach(a -> lines.add((String) a.get()[1]));
    return lines;
  }

  static String escape(String line) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : line.toCharArray()) {
      b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return b.append('"').toString();
  }
}
