package io.fleetstats.schemas;

import org.apache.kafka.common.serialization.Serde;

/**
 * A Kafka topic with the serdes of its key and value, built once from config and passed around so
 * that a topic can never meet the wrong serde.
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {}
