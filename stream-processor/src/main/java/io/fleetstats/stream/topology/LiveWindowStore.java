package io.fleetstats.stream.topology;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The open windows of one task as live objects, written to a logged byte store (RocksDB and its
 * changelog) only when Kafka Streams flushes its caches before a commit, or when one leaves the
 * bounded set of live windows. A series' window thus costs one encoding and one changelog record
 * per commit interval however many batches update it, and none at all when it opens and closes
 * within one interval; the byte store's own cache is off, this store is that cache.
 *
 * <p><b>Why this is exactly-once.</b> Kafka Streams calls {@link #flushCache} in {@code
 * StreamTask.prepareCommit}, before it flushes the task's producer and commits the transaction that
 * holds the input offsets, the output and the changelog records; the dirty windows are encoded into
 * the byte store there, so a commit never covers input whose effect on a window is only in memory.
 * A task closed without a commit (a crash, a fenced producer) drops its live windows with the
 * store; the restarted task reads the byte store as of the last commit and re-reads the input after
 * it. {@link CachedStateStore} is Kafka Streams' internal interface for exactly this hook (its
 * record caches use it); the crash test on a real broker checks that it is still called.
 *
 * <p><b>Use.</b> A value taken with {@link #get} and changed must be given back with {@link #put}
 * (which marks it dirty) before the task processes its next record. Entries that are not windows
 * (the close horizon, watermarks) live as plain bytes ({@link #getMeta}, {@link #putMeta}).
 */
final class LiveWindowStore<V> implements StateStore, CachedStateStore<String, byte[]> {

  /** A live window and whether it changed since it was last written. */
  private static final class Live<V> {
    final V value;
    boolean dirty;

    Live(V value, boolean dirty) {
      this.value = value;
      this.dirty = dirty;
    }
  }

  private final KeyValueStore<String, byte[]> bytes;

  /**
   * How a window is written to its changelog bytes and read back (IllegalArgumentException if not
   * one).
   */
  private final Function<V, byte[]> encode;

  private final Function<byte[], V> decode;
  private final Map<String, Live<V>> live;

  /**
   * Every key the byte store holds, read once after it was restored (lazily, at first use; again
   * after a restart or a move to standby): a new window costs no RocksDB lookup (a miss was about 3
   * µs through JNI), and a window that never reached the byte store leaves no tombstone.
   */
  private Set<String> stored;

  LiveWindowStore(
      KeyValueStore<String, byte[]> bytes,
      Function<V, byte[]> encode,
      Function<byte[], V> decode,
      int maxLive) {
    this.bytes = bytes;
    this.encode = encode;
    this.decode = decode;
    this.live =
        new LinkedHashMap<>(1024, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Live<V>> eldest) {
            if (size() <= maxLive) {
              return false;
            }
            write(eldest.getKey(), eldest.getValue());
            return true;
          }
        };
  }

  /**
   * A logged, uncached RocksDB key-value store named {@code name} under a {@link LiveWindowStore}
   * that keeps up to {@code maxLive} windows live; {@code decode} throws IllegalArgumentException
   * on bytes that are not a window.
   */
  static <V> StoreBuilder<LiveWindowStore<V>> builder(
      String name, Function<V, byte[]> encode, Function<byte[], V> decode, int maxLive) {
    return new Builder<>(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
            .withCachingDisabled()
            .withLoggingEnabled(Map.of()),
        encode,
        decode,
        maxLive);
  }

  /**
   * The window under {@code key}, live or read from the byte store; null when there is none.
   *
   * @throws IllegalArgumentException when the stored bytes are not a window
   */
  V get(String key) {
    Live<V> l = live.get(key);
    if (l != null) {
      return l.value;
    }
    if (!stored().contains(key)) {
      return null;
    }
    byte[] b = bytes.get(key);
    if (b == null) {
      return null;
    }
    V value = decode.apply(b);
    live.put(key, new Live<>(value, false));
    return value;
  }

  /** Sets the window under {@code key}; it reaches the byte store at the next flush. */
  void put(String key, V value) {
    Live<V> l = live.get(key);
    if (l != null && l.value == value) {
      l.dirty = true;
    } else {
      live.put(key, new Live<>(value, true));
    }
  }

  /** Removes the window under {@code key}; the byte store hears of it only if it held it. */
  void delete(String key) {
    live.remove(key);
    if (stored().remove(key)) {
      bytes.delete(key);
    }
  }

  /**
   * The keys of the windows in {@code [from, to]}, sorted: those in the byte store and those only
   * live so far.
   */
  List<String> keys(String from, String to) {
    TreeSet<String> keys = new TreeSet<>();
    try (KeyValueIterator<String, byte[]> it = bytes.range(from, to)) {
      while (it.hasNext()) {
        keys.add(it.next().key);
      }
    }
    for (String k : live.keySet()) {
      if (k.compareTo(from) >= 0 && k.compareTo(to) <= 0) {
        keys.add(k);
      }
    }
    return new ArrayList<>(keys);
  }

  /** A non-window entry (kept as bytes, never live). */
  byte[] getMeta(String key) {
    return bytes.get(key);
  }

  void putMeta(String key, byte[] value) {
    bytes.put(key, value);
    stored().add(key);
  }

  void deleteMeta(String key) {
    if (stored().remove(key)) {
      bytes.delete(key);
    }
  }

  /** The non-window entries whose keys start with {@code prefix}. */
  List<KeyValue<String, byte[]>> metaWithPrefix(String prefix) {
    List<KeyValue<String, byte[]>> found = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = bytes.prefixScan(prefix, new StringSerializer())) {
      it.forEachRemaining(found::add);
    }
    return found;
  }

  /** Number of live windows (for tests). */
  int liveCount() {
    return live.size();
  }

  /** The bytes the byte store holds under {@code key}, bypassing the live windows (for tests). */
  byte[] storedBytes(String key) {
    return bytes.get(key);
  }

  private void write(String key, Live<V> l) {
    if (l.dirty) {
      bytes.put(key, encode.apply(l.value));
      l.dirty = false;
      stored().add(key);
    }
  }

  private Set<String> stored() {
    if (stored == null) {
      stored = new HashSet<>();
      try (KeyValueIterator<String, byte[]> it = bytes.all()) {
        while (it.hasNext()) {
          stored.add(it.next().key);
        }
      }
    }
    return stored;
  }

  /** Writes every changed window to the byte store; Kafka Streams calls it before each commit. */
  @Override
  public void flushCache() {
    live.forEach(this::write);
    if (bytes instanceof CachedStateStore<?, ?> cached) {
      cached.flushCache();
    }
  }

  /** Drops the live windows (a task turned standby after a commit: nothing is dirty then). */
  @Override
  public void clearCache() {
    live.clear();
    stored = null;
  }

  @Override
  public boolean setFlushListener(
      CacheFlushListener<String, byte[]> listener, boolean sendOldValues) {
    return false;
  }

  @Override
  public String name() {
    return bytes.name();
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    live.clear();
    stored = null; // the byte store is restored after this: read its keys at first use
    bytes.init(context, root);
  }

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    bytes.flush();
  }

  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    bytes.commit(changelogOffsets);
  }

  @Override
  public Long committedOffset(TopicPartition partition) {
    return bytes.committedOffset(partition);
  }

  @Override
  public boolean managesOffsets() {
    return bytes.managesOffsets();
  }

  @Override
  public long approximateNumUncommittedBytes() {
    return bytes.approximateNumUncommittedBytes();
  }

  @Override
  public void close() {
    // without a commit first, what is live was never committed: a restart re-reads its input
    live.clear();
    stored = null;
    bytes.close();
  }

  @Override
  public boolean persistent() {
    return bytes.persistent();
  }

  @Override
  public boolean isOpen() {
    return bytes.isOpen();
  }

  @Override
  public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
    return bytes.query(query, positionBound, config);
  }

  @Override
  public Position getPosition() {
    return bytes.getPosition();
  }

  /** Builds the byte store with its changelog, then this store around it; no record cache. */
  private static final class Builder<V> implements StoreBuilder<LiveWindowStore<V>> {
    private final StoreBuilder<KeyValueStore<String, byte[]>> bytes;
    private final Function<V, byte[]> encode;
    private final Function<byte[], V> decode;
    private final int maxLive;

    Builder(
        StoreBuilder<KeyValueStore<String, byte[]>> bytes,
        Function<V, byte[]> encode,
        Function<byte[], V> decode,
        int maxLive) {
      this.bytes = bytes;
      this.encode = encode;
      this.decode = decode;
      this.maxLive = maxLive;
    }

    @Override
    public StoreBuilder<LiveWindowStore<V>> withCachingEnabled() {
      throw new UnsupportedOperationException(
          "a live window store is its own cache: its byte store runs without a record cache");
    }

    @Override
    public StoreBuilder<LiveWindowStore<V>> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<LiveWindowStore<V>> withLoggingEnabled(Map<String, String> config) {
      bytes.withLoggingEnabled(config);
      return this;
    }

    @Override
    public StoreBuilder<LiveWindowStore<V>> withLoggingDisabled() {
      bytes.withLoggingDisabled();
      return this;
    }

    @Override
    public LiveWindowStore<V> build() {
      return new LiveWindowStore<>(bytes.build(), encode, decode, maxLive);
    }

    @Override
    public Map<String, String> logConfig() {
      return bytes.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
      return bytes.loggingEnabled();
    }

    @Override
    public String name() {
      return bytes.name();
    }
  }
}
