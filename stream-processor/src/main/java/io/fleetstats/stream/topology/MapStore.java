package io.fleetstats.stream.topology;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A sorted in-memory key-value store with string keys and no changelog: the byte store under the
 * replay's {@link LiveWindowStore}s and its cluster metadata. Iterators are snapshots, so a caller
 * may change the store while it walks one (as the window processors do when they close windows).
 */
final class MapStore<V> implements KeyValueStore<String, V> {
  private final String name;
  private final TreeMap<String, V> map = new TreeMap<>();

  MapStore(String name) {
    this.name = name;
  }

  /** Every entry, sorted by key (for checkpoints). */
  NavigableMap<String, V> entries() {
    return map;
  }

  @Override
  public void put(String key, V value) {
    if (value == null) {
      map.remove(key);
    } else {
      map.put(key, value);
    }
  }

  @Override
  public V putIfAbsent(String key, V value) {
    V old = map.get(key);
    if (old == null) {
      put(key, value);
    }
    return old;
  }

  @Override
  public void putAll(List<KeyValue<String, V>> entries) {
    entries.forEach(kv -> put(kv.key, kv.value));
  }

  @Override
  public V delete(String key) {
    return map.remove(key);
  }

  @Override
  public V get(String key) {
    return map.get(key);
  }

  @Override
  public KeyValueIterator<String, V> range(String from, String to) {
    if (from != null && to != null && from.compareTo(to) > 0) {
      return iterator(Map.of());
    }
    NavigableMap<String, V> view = map;
    if (from != null) {
      view = view.tailMap(from, true);
    }
    if (to != null) {
      view = view.headMap(to, true);
    }
    return iterator(view);
  }

  @Override
  public KeyValueIterator<String, V> all() {
    return iterator(map);
  }

  @Override
  public <PS extends Serializer<P>, P> KeyValueIterator<String, V> prefixScan(
      P prefix, PS prefixKeySerializer) {
    String p = prefix.toString();
    return iterator(map.subMap(p, true, p + '\uffff', true));
  }

  @Override
  public long approximateNumEntries() {
    return map.size();
  }

  private static <V> KeyValueIterator<String, V> iterator(Map<String, V> view) {
    List<KeyValue<String, V>> copy = new ArrayList<>(view.size());
    view.forEach((k, v) -> copy.add(KeyValue.pair(k, v)));
    Iterator<KeyValue<String, V>> it = copy.iterator();
    return new KeyValueIterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public KeyValue<String, V> next() {
        next++;
        return it.next();
      }

      @Override
      public String peekNextKey() {
        return next < copy.size() ? copy.get(next).key : null;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {}

  @Override
  public void close() {}

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return true;
  }
}
