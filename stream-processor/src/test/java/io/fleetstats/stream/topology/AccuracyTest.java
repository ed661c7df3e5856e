package io.fleetstats.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.stream.StreamConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Must-show accuracy: 3 pods × 100 000 timer samples in one window from skewed distributions, with
 * sample rates, through the whole topology. Per pod and rolled up across the pods, p50, p90, p99
 * and p99.9 are within 1 % of the exact weighted quantiles of all samples; count and sum are exact.
 *
 * <p>Values are multiples of 2^-10 and rates powers of two, so every weighted sum is exactly
 * representable and "exact" can mean equal, not close. The exact quantile uses DDSketch's rank
 * definition: the smallest value whose cumulative weight exceeds {@code q · (W − 1)}.
 */
class AccuracyTest {
  private static final long W = 10_000;
  private static final long T = 1_600_000_000_000L;
  private static final int SAMPLES = 100_000;
  private static final int PER_BATCH = 1_000;
  private static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999};
  private static final String[] FIELDS = {
    "50_percentile", "90_percentile", "99_percentile", "99.9_percentile"
  };

  @TempDir Path stateDir;

  /** One sample: value and sample rate. */
  record Sample(double value, double rate) {
    double weight() {
      return 1.0 / rate;
    }
  }

  @Test
  void percentilesWithinOnePercentPerPodAndRolledUpCountAndSumExact() {
    Random rnd = new Random(20261125L);
    Map<String, List<Sample>> pods = new HashMap<>();
    // lognormal, median 50 ms, σ = 1; a quarter of the samples sent at @0.5
    pods.put(
        "api-server-0",
        draw(rnd, () -> 50 * Math.exp(rnd.nextGaussian()), new double[] {1, 1, 1, 0.5}));
    // bimodal: 70 % fast around 20 ms, 30 % slow around 400 ms (cache hit / miss)
    pods.put(
        "api-server-1",
        draw(
            rnd,
            () ->
                rnd.nextDouble() < 0.7
                    ? 20 + 3 * rnd.nextGaussian()
                    : 400 + 40 * rnd.nextGaussian(),
            new double[] {1}));
    // heavy-tailed lognormal, σ = 1.5, sampled at @0.25 and @0.125
    pods.put(
        "api-server-2",
        draw(rnd, () -> 100 * Math.exp(1.5 * rnd.nextGaussian()), new double[] {0.25, 0.125}));

    Map<String, Aggregate> perPod = new HashMap<>();
    Aggregate rollup;
    try (Driver d =
        new Driver(
            stateDir,
            Map.of(
                StreamConfig.PERCENTILES.key(), "50,90,99,99.9",
                StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node"))) {
      for (Map.Entry<String, List<Sample>> pod : pods.entrySet()) {
        Source source = RollupTopologyTest.pod("prod", "node-1", pod.getKey());
        List<Sample> s = pod.getValue();
        for (int from = 0; from < s.size(); from += PER_BATCH) {
          d.send(
              batch(
                  source,
                  s.subList(from, Math.min(s.size(), from + PER_BATCH)),
                  T + 1 + from / PER_BATCH));
        }
      }
      for (String pod : pods.keySet()) {
        d.heartbeat(T + W + 5_000, RollupTopologyTest.pod("prod", "node-1", pod));
      }
      List<Aggregate> out = d.records().stream().map(r -> r.value()).toList();
      out.stream()
          .filter(a -> !a.getTags().containsKey("rollup"))
          .forEach(a -> perPod.put(a.getTags().get("pod_name"), a));
      rollup =
          out.stream().filter(a -> a.getTags().containsKey("rollup")).findFirst().orElseThrow();
    }

    assertThat(perPod).hasSize(3);
    List<String> report = new ArrayList<>();
    for (Map.Entry<String, List<Sample>> pod : pods.entrySet()) {
      check(pod.getKey(), perPod.get(pod.getKey()), pod.getValue(), report);
    }
    List<Sample> all = new ArrayList<>();
    pods.values().forEach(all::addAll);
    assertThat(rollup.getTags()).containsEntry("rollup", "app");
    check("rolled up", rollup, all, report);
    // the figures, for the README and the closing note
    report.forEach(System.out::println);
  }

  private static void check(String what, Aggregate a, List<Sample> samples, List<String> report) {
    double count = 0;
    double sum = 0;
    for (Sample s : samples) {
      count += s.weight();
      sum += s.value() * s.weight();
    }
    Map<String, Double> f = a.getFields();
    assertThat(f.get("count")).as(what + " count").isEqualTo(count);
    assertThat(f.get("sum")).as(what + " sum").isEqualTo(sum);
    assertThat(f.get("mean")).as(what + " mean").isEqualTo(sum / count);
    Sample[] sorted = samples.toArray(Sample[]::new);
    Arrays.sort(sorted, Comparator.comparingDouble(Sample::value));
    assertThat(f.get("lower")).isEqualTo(sorted[0].value());
    assertThat(f.get("upper")).isEqualTo(sorted[sorted.length - 1].value());
    StringBuilder line = new StringBuilder(String.format("%-12s count %.0f", what, count));
    for (int i = 0; i < QUANTILES.length; i++) {
      double exact = exactQuantile(sorted, count, QUANTILES[i]);
      double got = f.get(FIELDS[i]);
      double rel = Math.abs(got - exact) / exact;
      line.append(
          String.format(
              "  p%s %.3f vs %.3f (%.3f%%)",
              FIELDS[i].replace("_percentile", ""), got, exact, rel * 100));
      assertThat(rel)
          .as(what + " " + FIELDS[i] + ": " + got + " vs exact " + exact)
          .isLessThanOrEqualTo(0.01);
    }
    assertThat(
            Math.abs(f.get("median") - exactQuantile(sorted, count, 0.5))
                / exactQuantile(sorted, count, 0.5))
        .isLessThanOrEqualTo(0.01);
    report.add(line.toString());
  }

  private static double exactQuantile(Sample[] sorted, double totalWeight, double q) {
    double rank = q * (totalWeight - 1);
    double cumulative = 0;
    for (Sample s : sorted) {
      cumulative += s.weight();
      if (cumulative > rank) {
        return s.value();
      }
    }
    return sorted[sorted.length - 1].value();
  }

  /**
   * {@value #SAMPLES} positive values, rounded to multiples of 2^-10, each with a rate from {@code
   * rates}.
   */
  private static List<Sample> draw(Random rnd, DoubleSupplier value, double[] rates) {
    List<Sample> out = new ArrayList<>(SAMPLES);
    while (out.size() < SAMPLES) {
      double v = Math.rint(value.getAsDouble() * 1024) / 1024;
      if (v > 0) {
        out.add(new Sample(v, rates[rnd.nextInt(rates.length)]));
      }
    }
    return out;
  }

  private static StatsdBatch batch(Source source, List<Sample> samples, long at) {
    List<Double> values = new ArrayList<>(samples.size());
    List<Double> rates = new ArrayList<>(samples.size());
    List<Long> received = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      values.add(s.value());
      rates.add(s.rate());
      received.add(at);
    }
    Series series =
        Series.newBuilder()
            .setName("fitcycle-api-server.prospectPullTime")
            .setType(MetricType.TIMER)
            .setValues(values)
            .setSampleRates(rates)
            .setReceivedAt(received)
            .build();
    return StatsdBatch.newBuilder()
        .setSource(source)
        .setCreatedAt(at)
        .setSeries(List.of(series))
        .build();
  }
}
