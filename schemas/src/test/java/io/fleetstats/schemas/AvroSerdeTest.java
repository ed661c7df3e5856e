package io.fleetstats.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.testing.StatsdBatches;
import java.util.List;
import java.util.Map;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  static StatsdBatch batch() {
    Source source =
        Source.newBuilder()
            .setCluster("local")
            .setNamespace("default")
            .setNode("node-1")
            .setPod("api-server-0")
            .build();
    Series timer =
        Series.newBuilder()
            .setName("fitcycle-api-server.prospectPullTime")
            .setType(MetricType.TIMER)
            .setTags(Map.of("route", "/prospects"))
            .setValues(List.of(212.5, 13.0))
            .setSampleRates(List.of(1.0, 0.5))
            .setReceivedAt(List.of(1_764_086_400_000L, 1_764_086_400_250L))
            .build();
    return StatsdBatch.newBuilder()
        .setSource(source)
        .setAgentId("a1")
        .setSequence(7)
        .setCreatedAt(1_764_086_401_000L)
        .setSeries(List.of(timer))
        .build();
  }

  @Test
  void roundTripsABatchInSingleObjectEncoding() {
    StatsdBatch in = batch();
    byte[] bytes = Topics.STATSD_BATCH.serializer().serialize("t", in);

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint = SchemaNormalization.parsingFingerprint64(StatsdBatch.getClassSchema());
    long written = 0;
    for (int i = 0; i < 8; i++) {
      written |= (bytes[2 + i] & 0xFFL) << (8 * i);
    }
    assertThat(written).isEqualTo(fingerprint);
    assertThat(Topics.STATSD_BATCH.deserializer().deserialize("t", bytes)).isEqualTo(in);
  }

  @Test
  void rejectsARecordOfAnotherTypeNamingTheTopic() {
    byte[] aggregateBytes = StatsdBatches.foreignRecord();

    assertThatThrownBy(
            () ->
                Topics.STATSD_BATCH
                    .deserializer()
                    .deserialize("fleetstats.raw.statsd", aggregateBytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("fleetstats.raw.statsd")
        .hasMessageContaining("unknown writer schema fingerprint");
  }

  @Test
  void rejectsBytesWithoutTheSingleObjectHeader() {
    assertThatThrownBy(() -> Topics.STATSD_BATCH.decode("plain text".getBytes()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not an Avro single-object encoded StatsdBatch");
  }

  @Test
  void sourceIdIsClusterNamespacePodContainer() {
    assertThat(Sources.id(batch().getSource())).isEqualTo("local/default/api-server-0/");
  }

  @Test
  void topicNamesFollowThePrefix() {
    Topics topics = Topics.withPrefix("acme");
    assertThat(topics.rawStatsd().name()).isEqualTo("acme.raw.statsd");
    assertThat(topics.aggregates().name()).isEqualTo("acme.aggregates");
    assertThat(Topics.defaults().deadletter().name()).isEqualTo("fleetstats.deadletter");
    assertThat(topics.clusters().name()).isEqualTo("acme.clusters");
  }

  @Test
  void clusterMetadataRoundTripsWithDefaults() {
    ClusterMetadata m =
        ClusterMetadata.newBuilder().setTags(java.util.Map.of("region", "eu-west-1")).build();
    ClusterMetadata back = Topics.CLUSTER_METADATA.decode(Topics.CLUSTER_METADATA.encode(m));
    assertThat(back.getTags()).containsEntry("region", "eu-west-1");
    assertThat(back.getCluster()).isEmpty();
    assertThat(back.getUpdatedAt()).isZero();
  }
}
