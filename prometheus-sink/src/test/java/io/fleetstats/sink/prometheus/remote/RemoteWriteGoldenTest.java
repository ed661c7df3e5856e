package io.fleetstats.sink.prometheus.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.TextFormat;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.prometheus.format.PromFormatter;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.Label;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.TimeSeries;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.WriteRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden request bodies: each case under {@code src/test/resources/remote/cases/<case>/} has {@code
 * input.json} (aggregates as the stream processor writes them, optionally a metric prefix) and
 * {@code expected.txt}: the request body the sink sends for them, snappy-decompressed and decoded
 * with the generated {@code WriteRequest} parser, in protobuf's text format. With {@code
 * -Dfleetstats.writeGolden=true} the expected files are rewritten (review the diff).
 */
class RemoteWriteGoldenTest {
  private static final Path CASES = Path.of("src/test/resources/remote/cases");
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  static Stream<String> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(CASES)) {
      return dirs.map(d -> d.getFileName().toString()).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void bodyDecodesToTheGoldenRequest(String name) throws IOException {
    Path dir = CASES.resolve(name);
    JsonNode input = JSON.readTree(dir.resolve("input.json").toFile());
    PromFormatter formatter = new PromFormatter(input.path("prefix").asText(""));
    List<PromSample> samples = new ArrayList<>();
    for (JsonNode a : input.get("aggregates")) {
      samples.addAll(formatter.format(aggregate(a)).samples());
    }

    WriteRequest request = WriteRequests.decode(WriteRequests.body(samples));
    String text = TextFormat.printer().escapingNonAscii(false).printToString(request);

    Path expected = dir.resolve("expected.txt");
    if (Boolean.getBoolean("fleetstats.writeGolden")) {
      Files.writeString(expected, text);
    }
    assertThat(text).isEqualTo(Files.readString(expected));
    for (TimeSeries series : request.getTimeseriesList()) {
      List<String> names = series.getLabelsList().stream().map(Label::getName).toList();
      assertThat(names).as("labels sorted and unique").isSorted().doesNotHaveDuplicates();
      assertThat(names).contains("__name__");
    }
  }

  static Aggregate aggregate(JsonNode a) {
    Map<String, String> tags = new LinkedHashMap<>();
    a.path("tags").fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
    Map<String, Double> fields = new LinkedHashMap<>();
    a.get("fields").fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asDouble()));
    long start = a.get("windowStart").asLong();
    return Aggregate.newBuilder()
        .setName(a.get("name").asText())
        .setMetricType(a.get("metricType").asText())
        .setSource(a.get("source").asText())
        .setTags(tags)
        .setWindowStart(start)
        .setWindowEnd(start + 10_000)
        .setFields(fields)
        .build();
  }
}
