package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DogStatsD origin detection as a node agent reads it: the container id of {@code |c:} (bare, or
 * the {@code ci-} entry of Datadog's local data), the pod uid of {@code dd.internal.entity_id} or
 * of the {@code pu-} entry of {@code |e:}; and the ingester handing each line's origin to the sink.
 */
class OriginParsingTest {
  private static final String ID =
      "3f1e2c9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e";
  private final StatsdParser node = new StatsdParser(StatsdOptions.defaults(), true);
  private final StatsdParser sidecar = new StatsdParser();

  @Test
  void containerFieldBareOrAsLocalData() {
    assertThat(origin("a:1|c|c:" + ID)).isEqualTo(new ParseResult.Origin(ID, null));
    assertThat(origin("a:1|c|#env:prod|c:ci-" + ID + ",in-4026531835"))
        .isEqualTo(new ParseResult.Origin(ID, null));
    assertThat(origin("a:1|c|c:in-4026531835,ci-" + ID))
        .isEqualTo(new ParseResult.Origin(ID, null));
    // an inode alone names nothing this agent can resolve: the packet's sender counts
    assertThat(origin("a:1|c|c:in-4026531835")).isNull();
    assertThat(origin("a:1|c")).isNull();
  }

  @Test
  void entityIdTagOrExternalDataNameThePodAndTheTagIsDropped() {
    ParseResult.Ok ok = (ParseResult.Ok) node.parse("a:1|c|#env:prod,dd.internal.entity_id:uid-1");
    assertThat(ok.origin()).isEqualTo(new ParseResult.Origin(null, "uid-1"));
    assertThat(ok.samples().get(0).tags()).isEqualTo(Map.of("env", "prod"));
    assertThat(origin("a:1|c|e:it-false,cn-app,pu-uid-2"))
        .isEqualTo(new ParseResult.Origin(null, "uid-2"));
    assertThat(origin("a:1|c|c:" + ID + "|#dd.internal.entity_id:uid-1"))
        .isEqualTo(new ParseResult.Origin(ID, "uid-1"));
  }

  @Test
  void aSidecarsParserReadsNoOriginAndKeepsTheTag() {
    ParseResult.Ok ok =
        (ParseResult.Ok) sidecar.parse("a:1|c|c:" + ID + "|#dd.internal.entity_id:uid-1");
    assertThat(ok.origin()).isNull();
    assertThat(ok.samples().get(0).tags()).containsEntry("dd.internal.entity_id", "uid-1");
  }

  @Test
  void theIngesterNamesEachLinesOriginAndReturnsToThePacketsSender() {
    List<String> events = new ArrayList<>();
    SampleSink sink =
        new SampleSink() {
          @Override
          public void accept(StatsdSample sample, long receivedAtMillis) {
            events.add(sample.name());
          }

          @Override
          public void origin(ParseResult.Origin origin) {
            events.add(origin == null ? "<sender>" : "<" + origin + ">");
          }
        };
    PacketIngester ingester = new PacketIngester(node, sink, new StatsdStats());
    // twice: the second time the plain line comes through the fast path, the named ones never do
    for (int i = 0; i < 2; i++) {
      ingester.ingest(
          "plain:1|c\nnamed:1|c|#dd.internal.entity_id:uid-1\nnamed:2|c|#dd.internal.entity_id:uid-1"
              + "\nplain:2|c\nctr:1|c|c:"
              + ID,
          0);
    }

    String uid = "<" + new ParseResult.Origin(null, "uid-1") + ">";
    String ctr = "<" + new ParseResult.Origin(ID, null) + ">";
    List<String> once =
        List.of("plain", uid, "named", uid, "named", "<sender>", "plain", ctr, "ctr");
    List<String> expected = new ArrayList<>(once);
    expected.add("<sender>");
    expected.addAll(once);
    assertThat(events).isEqualTo(expected);
  }

  private ParseResult.Origin origin(String line) {
    ParseResult r = node.parse(line);
    assertThat(r).isInstanceOf(ParseResult.Ok.class);
    return ((ParseResult.Ok) r).origin();
  }
}
