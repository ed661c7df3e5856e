package io.fleetstats.edge.statsd;

import static io.fleetstats.edge.statsd.StatsdParserFuzzTest.escape;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test of the ingester's fast path ({@link FastLineReader} + {@link SeriesCache})
 * against the full {@link StatsdParser}: over the fuzz corpus (random and mutated lines) and over
 * lines built from realistic and awkward pieces (names with tag dialects, values at the edges of
 * exact decimal reading, rates, DogStatsD fields, blanks), each line sent twice (the second time
 * its series is known), the samples the sink gets and the reject counted are exactly what the full
 * parser gives for the same bytes; under several option sets, since the name and tags of a known
 * series are the full parser's.
 */
class StatsdFastPathTest {
  private static final long SEED = 20261126L;
  private static final int BUILT_LINES = 150_000;
  private static final int FUZZ_LINES = 100_000;

  private static final String[] NAMES = {
    "api.req",
    "peer.c",
    "a b",
    "x.y-z/w",
    "cpu.load.host1",
    "n[k=v]",
    "n[k=v,k2=w]x",
    "n[a=b",
    "n#k=v",
    "n,k=v,k2=v2",
    "n#k=v,x=y",
    "n,=v,k",
    "caf\u00e9",
    "_e{",
    "_sc",
    "",
    " lead",
    "t\tab",
    "mem.free.h2",
    "api.us-east.latency",
    "a.very.long.name.that.goes.on.and.on.and.on.past.sixty.four.characters.total",
    "servers.localhost.cpu",
    "users.current,service=payroll",
    "x:y"
  };
  private static final String[] VALUES = {
    "1",
    "-1",
    "0",
    "-0",
    "12.5",
    ".5",
    "5.",
    "-.25",
    "1e3",
    "+3",
    "123456789012345678",
    "900719925474099",
    "9007199254740993",
    "0.0000000000000000000001",
    "0.00000000000000000000001",
    "3.14159265358979",
    "1.7976931348623157",
    "NaN",
    "",
    ".",
    "-",
    "1.2.3",
    "0x10",
    "1_0",
    "01",
    "1:2",
    "7 ",
    "\u0661"
  };
  private static final String[] TYPES = {
    "c", "g", "ms", "h", "d", "s", "x", "", "MS", "c:2", "ms:3"
  };
  private static final String[] RATES = {
    "@0.5", "@1", "@0", "@1.5", "@.1", "@1e-1", "@", "@-0.5", "@0.25:4"
  };
  private static final String[] TAGS = {
    "#k:v",
    "#k:v,flag",
    "#",
    "#env:prod,az:us-east-1a",
    "#a:1,a:2",
    "#k:",
    "#:v",
    "#k:v:w",
    "#one,two,three,four,five,six,seven,eight,nine",
    "#pod:web-12,service=x",
    "#t\u00e9:v"
  };
  private static final String[] EXTRAS = {
    "", "c:abc", "T1700000000", "e:x", "Tx", "unknown", "@0.5", "#k:v"
  };

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "default",
        "maxLine=512;maxName=64;maxTags=8;maxTag=32;template=* measurement.host.field*",
        "sanitize=upstream;convert;no=dogstatsd;keepContainer;sep=_;template=api.* measurement.measurement.region",
        "no=influx;no=librato;no=signalfx;sanitize=none;maxTags=2;maxLine=40"
      })
  void givesTheFullParsersSamplesAndRejects(String spec) throws IOException {
    StatsdParser parser = new StatsdParser(ParserSpec.options(spec));
    StatsdStats stats = new StatsdStats();
    List<StatsdSample> got = new ArrayList<>();
    PacketIngester ingester = new PacketIngester(parser, (s, t) -> got.add(s), stats);
    Random random = new Random(SEED);
    List<String> corpus = StatsdParserFuzzTest.corpus();
    long compared = 0;
    for (int n = 0; n < BUILT_LINES + FUZZ_LINES; n++) {
      String line =
          StatsdParserFuzzTest.onTheWire(
              n < BUILT_LINES
                  ? builtLine(random)
                  : random.nextBoolean()
                      ? StatsdParserFuzzTest.randomLine(random)
                      : StatsdParserFuzzTest.mutate(
                          corpus.get(random.nextInt(corpus.size())), random));
      String framed = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      if (framed.isEmpty() || line.indexOf('\n') >= 0) {
        continue; // the framing, not the parser, decides about these
      }
      ParseResult expected = parser.parse(line);
      byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
      for (int pass = 0; pass < 2; pass++) {
        got.clear();
        long rejectedBefore =
            expected instanceof ParseResult.Rejected r ? stats.rejected(r.reason()) : 0;
        ingester.ingest(bytes, 0, bytes.length, false, n);
        if (expected instanceof ParseResult.Ok ok) {
          assertThat(got).as("pass %d of %s", pass, escape(line)).isEqualTo(ok.samples());
        } else {
          ParseResult.Rejected r = (ParseResult.Rejected) expected;
          assertThat(got).as("pass %d of %s", pass, escape(line)).isEmpty();
          assertThat(stats.rejected(r.reason()))
              .as("%s counted for pass %d of %s", r.reason(), pass, escape(line))
              .isEqualTo(rejectedBefore + 1);
        }
        compared++;
      }
    }
    assertThat(stats.lines()).isEqualTo(compared);
    assertThat(ingester.commonLines())
        .as("lines that took the fast path")
        .isGreaterThan(compared / 20);
  }

  /**
   * Whole datagrams: the fast reader finds each line's end itself, so lines joined by {@code \n} or
   * {@code \r\n}, with or without a final newline, and a datagram cut at the receive buffer (its
   * unfinished last line is rejected as too large) give what the full parser gives line by line.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"default", "no=influx;no=librato;no=signalfx;sanitize=none;maxTags=2;maxLine=40"})
  void givesTheFullParsersSamplesForWholeDatagrams(String spec) throws IOException {
    StatsdParser parser = new StatsdParser(ParserSpec.options(spec));
    StatsdStats stats = new StatsdStats();
    List<StatsdSample> got = new ArrayList<>();
    PacketIngester ingester = new PacketIngester(parser, (s, t) -> got.add(s), stats);
    Random random = new Random(SEED + 1);
    List<String> corpus = StatsdParserFuzzTest.corpus();
    long commonBefore = 0;
    for (int n = 0; n < 40_000; n++) {
      StringBuilder datagram = new StringBuilder();
      List<StatsdSample> expected = new ArrayList<>();
      Map<RejectReason, Long> rejects = new EnumMap<>(RejectReason.class);
      int lines = 1 + random.nextInt(8);
      boolean cut = random.nextInt(10) == 0;
      boolean finalNewline = random.nextBoolean();
      for (int k = 0; k < lines; k++) {
        String line =
            random.nextInt(10) == 0
                ? StatsdParserFuzzTest.mutate(corpus.get(random.nextInt(corpus.size())), random)
                : builtLine(random);
        line = StatsdParserFuzzTest.onTheWire(line).replace("\r", "").replace("\n", "");
        if (random.nextInt(12) == 0) {
          line = ""; // an empty line is skipped, not counted
        }
        datagram.append(line);
        boolean ended = k < lines - 1 || finalNewline;
        if (ended) {
          datagram.append(random.nextInt(4) == 0 ? "\r\n" : "\n");
        }
        if (line.isEmpty()) {
          continue;
        }
        if (cut && !ended) {
          rejects.merge(RejectReason.DATAGRAM_TOO_LARGE, 1L, Long::sum);
        } else if (parser.parse(line) instanceof ParseResult.Ok ok) {
          expected.addAll(ok.samples());
        } else {
          rejects.merge(((ParseResult.Rejected) parser.parse(line)).reason(), 1L, Long::sum);
        }
      }
      Map<RejectReason, Long> before = new EnumMap<>(RejectReason.class);
      for (RejectReason r : RejectReason.values()) {
        before.put(r, stats.rejected(r));
      }
      byte[] bytes = datagram.toString().getBytes(StandardCharsets.UTF_8);
      for (int pass = 0; pass < 2; pass++) { // the second time, its series are known
        got.clear();
        ingester.ingest(bytes, 0, bytes.length, cut, n);
        assertThat(got).as("pass %d of %s", pass, escape(datagram.toString())).isEqualTo(expected);
      }
      for (RejectReason r : RejectReason.values()) {
        assertThat(stats.rejected(r))
            .as("%s counted for %s", r, escape(datagram.toString()))
            .isEqualTo(before.get(r) + 2 * rejects.getOrDefault(r, 0L));
      }
    }
    assertThat(ingester.commonLines()).as("lines that took the fast path").isGreaterThan(40_000L);
  }

  @org.junit.jupiter.api.Test
  void readerHashesBucketAndTagsAsTheCacheDoes() {
    FastLineReader reader = new FastLineReader(8192);
    Random random = new Random(SEED);
    int read = 0;
    for (int n = 0; n < BUILT_LINES; n++) {
      byte[] line = builtLine(random).getBytes(StandardCharsets.UTF_8);
      int lineEnd = line.length > 0 ? reader.read(line, 0, line.length) : -1;
      if (lineEnd >= 0) {
        assertThat(lineEnd).as("the line's end").isEqualTo(line.length);
        read++;
        assertThat(reader.hash)
            .as(escape(new String(line, StandardCharsets.UTF_8)))
            .isEqualTo(
                hashOfBucketAndTags(
                    line, reader.bucketFrom, reader.bucketTo, reader.tagsFrom, reader.tagsTo));
      }
    }
    assertThat(read).isGreaterThan(BUILT_LINES / 20);
  }

  /**
   * The hash the reader must give: of the bucket and the tag field only ({@code tagsFrom} -1 when
   * none).
   */
  private static int hashOfBucketAndTags(
      byte[] b, int bucketFrom, int bucketTo, int tagsFrom, int tagsTo) {
    int h = 1;
    for (int i = bucketFrom; i < bucketTo; i++) {
      h = 31 * h + b[i];
    }
    h = 31 * h + '|';
    for (int i = tagsFrom; i < tagsTo; i++) {
      h = 31 * h + b[i];
    }
    return SeriesCache.spread(h);
  }

  /** {@code [blank]name:value|type[|field...][blank]} from the pieces above, fields shuffled. */
  private static String builtLine(Random random) {
    StringBuilder b = new StringBuilder();
    if (random.nextInt(30) == 0) {
      b.append(random.nextBoolean() ? " " : "\t");
    }
    b.append(pick(NAMES, random)).append(':').append(pick(VALUES, random));
    if (random.nextInt(20) != 0) {
      b.append('|').append(pick(TYPES, random));
    }
    List<String> fields = new ArrayList<>();
    if (random.nextInt(3) == 0) {
      fields.add(pick(RATES, random));
    }
    if (random.nextInt(2) == 0) {
      fields.add(pick(TAGS, random));
    }
    if (random.nextInt(8) == 0) {
      fields.add(pick(EXTRAS, random));
    }
    if (fields.size() > 1 && random.nextBoolean()) {
      fields.add(fields.remove(0));
    }
    for (String f : fields) {
      b.append('|').append(f);
    }
    if (random.nextInt(30) == 0) {
      b.append(random.nextBoolean() ? " " : "\r");
    }
    return b.toString();
  }

  private static String pick(String[] options, Random random) {
    // Skewed towards the first, plain entries, as real traffic is.
    int i =
        random.nextInt(4) == 0
            ? random.nextInt(options.length)
            : random.nextInt(Math.min(5, options.length));
    return options[i];
  }
}
