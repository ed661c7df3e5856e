package io.fleetstats.stream.aggregate;

import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.set;
import static io.fleetstats.stream.Fixtures.source;
import static io.fleetstats.stream.Fixtures.withRates;
import static io.fleetstats.stream.Fixtures.withRelative;
import static io.fleetstats.stream.Fixtures.withTags;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SeriesWindowTest {
  private static final Source POD = source("api-server-0");
  private static final long T = 1_764_086_400_000L;

  /**
   * Feeds each series as one batch slice, round-tripping the state through its bytes between
   * batches as the state store does.
   */
  private static Aggregate aggregate(List<Double> percentiles, Series... batches) {
    SeriesWindow w = SeriesWindow.empty(POD, batches[0], 0.01);
    for (Series s : batches) {
      int n = Windows.sampleCount(s);
      w = SeriesWindow.fromBytes(w.toBytes());
      w.add(s, IntStream.range(0, n).toArray(), n);
      w = SeriesWindow.fromBytes(w.toBytes());
    }
    return w.toAggregate(T, T + 10_000, percentiles);
  }

  @Test
  void writesTheSameBytesWhetherFreshOrReadBack() {
    Series timer =
        withTags(
            series("t", MetricType.TIMER, T, 1.5, 20, 300), Map.of("route", "/ä", "code", "200"));
    Series more =
        withTags(series("t", MetricType.TIMER, T, 7, 0.25), Map.of("route", "/ä", "code", "200"));
    SeriesWindow fresh = SeriesWindow.empty(POD, timer, 0.01);
    fresh.add(timer, new int[] {0, 1, 2}, 3);
    SeriesWindow read = SeriesWindow.fromBytes(fresh.toBytes());

    fresh.add(more, new int[] {0, 1}, 2);
    read.add(more, new int[] {0, 1}, 2);

    // the read window reuses the identity bytes it was read from; the fresh one encodes its own
    assertThat(read.toBytes()).isEqualTo(fresh.toBytes());
    assertThat(SeriesWindow.fromBytes(read.toBytes()).toAggregate(T, T + 1, List.of(90.0)))
        .isEqualTo(fresh.toAggregate(T, T + 1, List.of(90.0)));
  }

  static Stream<Arguments> valueCases() {
    return Stream.of(
        Arguments.of(
            "counter sums values", new Series[] {series("c", MetricType.COUNTER, T, 1, 2, 3)}, 6.0),
        Arguments.of(
            "counter corrects by sample rate: @0.1 weighs 10",
            new Series[] {withRates(series("c", MetricType.COUNTER, T, 1, 1, 2), 0.1, 1, 0.5)},
            15.0),
        Arguments.of(
            "counter sums across batches",
            new Series[] {
              series("c", MetricType.COUNTER, T, 1, 1), series("c", MetricType.COUNTER, T, 5)
            },
            7.0),
        Arguments.of(
            "counter treats a rate outside (0,1] as 1",
            new Series[] {withRates(series("c", MetricType.COUNTER, T, 1, 1), 0, 1.5)},
            2.0),
        Arguments.of(
            "gauge keeps the last value in arrival order",
            new Series[] {
              series("g", MetricType.GAUGE, T, 5, 3), series("g", MetricType.GAUGE, T, 7)
            },
            7.0),
        Arguments.of(
            "relative gauge applies to the previous value of the window",
            new Series[] {
              withRelative(series("g", MetricType.GAUGE, T, 10, 5, -3), false, true, true)
            },
            12.0),
        Arguments.of(
            "relative gauge with no earlier value starts from 0 (delete_gauges=true)",
            new Series[] {withRelative(series("g", MetricType.GAUGE, T, 4, -1), true, true)},
            3.0),
        Arguments.of(
            "absolute gauge after relative ones resets",
            new Series[] {
              withRelative(series("g", MetricType.GAUGE, T, 4), true),
              withRelative(series("g", MetricType.GAUGE, T, 2), false)
            },
            2.0),
        Arguments.of(
            "set counts distinct members",
            new Series[] {set("s", T, "a", "b", "a"), set("s", T, "c", "b")},
            3.0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueCases")
  void aggregatesValueSeries(String name, Series[] batches, double expected) {
    Aggregate a = aggregate(List.of(90.0), batches);
    assertThat(a.getFields()).containsOnlyKeys("value");
    assertThat(a.getFields().get("value")).isCloseTo(expected, within(1e-9));
    assertThat(a.getSketch()).isNull();
  }

  @Test
  void timerFieldsMatchTelegrafWithPercentilesWithinOnePercent() {
    double[] values = IntStream.rangeClosed(1, 1000).asDoubleStream().toArray();
    Series first = series("api.timer", MetricType.TIMER, T, Arrays.copyOfRange(values, 0, 400));
    Series second = series("api.timer", MetricType.TIMER, T, Arrays.copyOfRange(values, 400, 1000));

    Aggregate a = aggregate(List.of(90.0, 99.9), first, second);

    Map<String, Double> f = a.getFields();
    assertThat(f)
        .containsOnlyKeys(
            "count",
            "sum",
            "mean",
            "stddev",
            "lower",
            "upper",
            "median",
            "90_percentile",
            "99.9_percentile");
    assertThat(f.get("count")).isEqualTo(1000.0);
    assertThat(f.get("sum")).isEqualTo(500_500.0);
    assertThat(f.get("mean")).isEqualTo(500.5);
    // population standard deviation of 1..n is sqrt((n^2-1)/12)
    assertThat(f.get("stddev")).isCloseTo(Math.sqrt((1000.0 * 1000 - 1) / 12), within(1e-9));
    assertThat(f.get("lower")).isEqualTo(1.0);
    assertThat(f.get("upper")).isEqualTo(1000.0);
    // Telegraf's nearest rank: sorted[int(n*p/100)]
    assertThat(f.get("median")).isCloseTo(501.0, withinPercent(1));
    assertThat(f.get("90_percentile")).isCloseTo(901.0, withinPercent(1));
    assertThat(f.get("99.9_percentile")).isCloseTo(1000.0, withinPercent(1));
  }

  @Test
  void sampledTimerWeighsEachValueByItsInverseRate() {
    Series s = withRates(series("t", MetricType.TIMER, T, 10, 20), 0.5, 0.25);

    Map<String, Double> f = aggregate(List.of(90.0), s).getFields();

    assertThat(f.get("count")).isEqualTo(6.0);
    assertThat(f.get("sum")).isEqualTo(10 * 2 + 20 * 4.0);
    assertThat(f.get("mean")).isCloseTo(100.0 / 6, within(1e-12));
    // weights 2 and 4 around mean 16.67: population variance = (2*44.44 + 4*11.11) / 6
    assertThat(f.get("stddev")).isCloseTo(Math.sqrt(200.0 / 9), within(1e-9));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("distributionTypes")
  void distributionLikeTypesCarryTheirSketch(MetricType type, String metricType) {
    Aggregate a = aggregate(List.of(90.0), series("h", type, T, 3, 4, 5));

    assertThat(a.getMetricType()).isEqualTo(metricType);
    assertThat(a.getSketch()).isNotNull();
    var proto = parse(a);
    assertThat(proto.getCount()).isEqualTo(3.0);
    assertThat(proto.getValueAtQuantile(0.5)).isCloseTo(4.0, withinPercent(1));
  }

  @Test
  void sketchHasTheSameBinsAsOneFedInArrivalOrder() {
    // the window feeds each slice's extremes to its sketch first; the bins must not show it
    java.util.Random rnd = new java.util.Random(7);
    double[] values = new double[500];
    double[] rates = new double[500];
    for (int i = 0; i < values.length; i++) {
      values[i] = Math.exp(3 * rnd.nextGaussian());
      rates[i] = i % 3 == 0 ? 0.5 : 1.0;
    }
    Series s = withRates(series("t", MetricType.TIMER, T, values), rates);
    com.datadoghq.sketch.ddsketch.DDSketch expected =
        com.datadoghq.sketch.ddsketch.DDSketches.unboundedDense(0.01);
    for (int i = 0; i < values.length; i++) {
      expected.accept(values[i], 1 / rates[i]);
    }

    var got = parse(aggregate(List.of(), s));

    assertThat(got.getCount()).isEqualTo(expected.getCount());
    assertThat(got.getNegativeValueStore().isEmpty()).isTrue();
    assertThat(binsOf(got)).isEqualTo(binsOf(expected));
  }

  private static Map<Integer, Double> binsOf(com.datadoghq.sketch.ddsketch.DDSketch sketch) {
    Map<Integer, Double> bins = new java.util.TreeMap<>();
    sketch
        .getPositiveValueStore()
        .getAscendingStream()
        .forEach(b -> bins.put(b.getIndex(), b.getCount()));
    return bins;
  }

  static Stream<Arguments> distributionTypes() {
    return Stream.of(
        Arguments.of(MetricType.TIMER, "timing"),
        Arguments.of(MetricType.HISTOGRAM, "histogram"),
        Arguments.of(MetricType.DISTRIBUTION, "distribution"));
  }

  @Test
  void rejectsNonFiniteValuesAndCountsThem() {
    Series s = series("t", MetricType.TIMER, T, 1, Double.NaN, Double.POSITIVE_INFINITY, 3);
    SeriesWindow w = SeriesWindow.empty(POD, s, 0.01);

    int rejected = w.add(s, new int[] {0, 1, 2, 3}, 4);

    assertThat(rejected).isEqualTo(2);
    assertThat(w.toAggregate(T, T + 1, List.of()).getFields().get("count")).isEqualTo(2.0);
  }

  @Test
  void windowWithOnlyRejectedSamplesIsEmpty() {
    Series s = series("c", MetricType.COUNTER, T, Double.NaN);
    SeriesWindow w = SeriesWindow.empty(POD, s, 0.01);
    w.add(s, new int[] {0}, 1);
    assertThat(w.isEmpty()).isTrue();
  }

  @Test
  void tagsAndSourceFollowTelegraf() {
    Series s = withTags(series("api.timer", MetricType.TIMER, T, 1), Map.of("route", "/a"));

    Aggregate a = aggregate(List.of(), s);

    assertThat(a.getName()).isEqualTo("api.timer");
    assertThat(a.getSource()).isEqualTo("node-1");
    assertThat(a.getTags())
        .containsExactly(
            Map.entry("metric_type", "timing"),
            Map.entry("pod_name", "api-server-0"),
            Map.entry("cluster", "local"),
            Map.entry("namespace", "default"),
            Map.entry("route", "/a"));
    assertThat(a.getWindowStart()).isEqualTo(T);
    assertThat(a.getWindowEnd()).isEqualTo(T + 10_000);
  }

  @Test
  void seriesIdIgnoresTagOrder() {
    Series a = withTags(series("x", MetricType.COUNTER, T, 1), Map.of("a", "1", "b", "2"));
    Series b = withTags(series("x", MetricType.COUNTER, T, 1), Map.of("b", "2", "a", "1"));

    assertThat(SeriesWindow.id(POD, a))
        .isEqualTo(SeriesWindow.id(POD, b))
        .isEqualTo("local/default/api-server-0/app|x|counter|a=1,b=2");
  }

  @Test
  void exactSetKeepsEightBytesPerMemberWhateverTheirLength() {
    String[] members =
        IntStream.range(0, 1000)
            .mapToObj(i -> "session-" + i + "-4f0c2a9e-7d1b-4e55-9c3a-1b2c3d4e5f60")
            .toArray(String[]::new);
    Series s = set("users", T, members);
    SeriesWindow w = SeriesWindow.empty(POD, s, 0.01);
    w.add(s, IntStream.range(0, 1000).toArray(), 1000);
    SeriesWindow empty = SeriesWindow.empty(POD, set("users", T), 0.01);

    byte[] bytes = w.toBytes();

    assertThat(bytes.length - empty.toBytes().length).isEqualTo(8 * 1000);
    assertThat(SeriesWindow.fromBytes(bytes).toAggregate(T, T + 1, List.of()).getFields())
        .containsEntry("value", 1000.0);
  }

  @Test
  void readsSetStateWrittenWithMemberStrings() throws Exception {
    // format 2 as written before sets kept hashes: the identity, then mode 0 and the members
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    out.writeByte(2);
    for (String field : List.of("users", "SET")) {
      writeString(out, field);
    }
    out.writeInt(0);
    for (String field : List.of("local", "default", "node-1", "api-server-0")) {
      writeString(out, field);
    }
    out.writeByte(0);
    out.writeInt(2);
    writeString(out, "alice");
    writeString(out, "bob");

    SeriesWindow old = SeriesWindow.fromBytes(bytes.toByteArray());
    Series more = set("users", T, "bob", "carol");
    old.add(more, new int[] {0, 1}, 2);

    assertThat(SeriesWindow.fromBytes(old.toBytes()).toAggregate(T, T + 1, List.of()).getFields())
        .containsEntry("value", 3.0);
  }

  private static void writeString(java.io.DataOutputStream out, String s)
      throws java.io.IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static org.assertj.core.data.Percentage withinPercent(double p) {
    return org.assertj.core.data.Percentage.withPercentage(p);
  }

  private static com.datadoghq.sketch.ddsketch.DDSketch parse(Aggregate a) {
    try {
      byte[] bytes = new byte[a.getSketch().remaining()];
      a.getSketch().duplicate().get(bytes);
      return DDSketchProtoBinding.fromProto(
          UnboundedSizeDenseStore::new,
          com.datadoghq.sketch.ddsketch.proto.DDSketch.parseFrom(bytes));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
