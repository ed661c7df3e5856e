package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.schemas.TopicNames;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.WavefrontSink;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The services on a broker that demands authentication and authorizes every request ({@link
 * SecureKafka}): SASL_SSL with SCRAM-SHA-512, and mutual TLS. Each service connects with exactly
 * the settings the Helm chart gives it ({@code FLEETSTATS_KAFKA_SECURITY_PROTOCOL}, {@code
 * …_SSL_TRUSTSTORE_TYPE=PEM}/{@code _LOCATION}, {@code …_SASL_MECHANISM}/{@code _JAAS_CONFIG} or
 * {@code …_SSL_KEYSTORE_TYPE=PKCS12}/{@code _LOCATION}/{@code _PASSWORD}; topics made beforehand,
 * {@code FLEETSTATS_CREATE_TOPICS=false}) and a principal of its own holding only the ACLs
 * docs/operations.md lists for it. Statsd samples must come out as Wavefront lines at a loopback
 * proxy over both listeners. A wrong password and a missing ACL must each give one message naming
 * what to fix while the edge agent keeps running and buffering (a key store it cannot read stops
 * every service at start, naming the setting); and no password, key store password or token may
 * show in any log line (Kafka's and the broker's at INFO included), {@code /metrics} or {@code
 * /readyz} page, or exception message of the whole class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureBrokerIT {
  static final String EDGE = "fleetstats-edge";
  static final String PROCESSOR = "fleetstats-stream-processor";
  static final String SINK = "fleetstats-wavefront-sink";
  static final TopicNames TOPICS = Topics.defaults().names();

  @TempDir static Path dir;
  static SecureKafka kafka;
  static ProxyReceiver proxy;
  static final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
  static final Map<String, String> scram = new HashMap<>();
  static final String token = "tok-" + UUID.randomUUID();
  static final String wrongPassword = "wrong-" + UUID.randomUUID();

  /** Everything the services served or threw: searched for secrets at the end. */
  static final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();

  static final Capture logs = new Capture();
  static final Map<String, Level> levels = new HashMap<>();
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startBroker() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.setContext(context);
    logs.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
    // Kafka's clients print their configs and the broker its authentication failures at INFO:
    // those lines are searched too.
    for (String name : List.of("org.apache.kafka", "kafka")) {
      Logger l = context.getLogger(name);
      levels.put(name, l.getLevel());
      l.setLevel(Level.INFO);
    }

    kafka = SecureKafka.start(dir.resolve("kafka"));
    for (String user : List.of(EDGE, PROCESSOR, SINK)) {
      kafka.user(user);
      scram.put(user, "scram-" + UUID.randomUUID());
      kafka.scramUser(user, scram.get(user));
    }
    // as the chart's topic Job does; the services run with FLEETSTATS_CREATE_TOPICS=false
    List<NewTopic> topics = new ArrayList<>();
    for (String t :
        List.of(
            TOPICS.rawStatsd(),
            TOPICS.rawMysql(),
            TOPICS.rawKubelet(),
            TOPICS.aggregates(),
            TOPICS.deadletter(),
            TOPICS.clusters())) {
      topics.add(new NewTopic(t, 1, (short) 1));
    }
    kafka.admin().createTopics(topics).all().get(30, TimeUnit.SECONDS);
    grantDocumentedAcls();

    proxy = ProxyReceiver.start(0, Optional.empty());
    proxy.addListener(lines::add);
  }

  /** The ACLs of docs/operations.md ("Kafka security"), per service principal. */
  static void grantDocumentedAcls() throws Exception {
    AclOperation[] write = {AclOperation.WRITE, AclOperation.DESCRIBE};
    AclOperation[] read = {AclOperation.READ, AclOperation.DESCRIBE};
    for (String raw : List.of(TOPICS.rawStatsd(), TOPICS.rawMysql(), TOPICS.rawKubelet())) {
      kafka.allow(EDGE, ResourceType.TOPIC, raw, PatternType.LITERAL, write);
      kafka.allow(PROCESSOR, ResourceType.TOPIC, raw, PatternType.LITERAL, read);
    }
    kafka.allow(PROCESSOR, ResourceType.TOPIC, TOPICS.clusters(), PatternType.LITERAL, read);
    kafka.allow(PROCESSOR, ResourceType.TOPIC, TOPICS.aggregates(), PatternType.LITERAL, write);
    kafka.allow(PROCESSOR, ResourceType.TOPIC, TOPICS.deadletter(), PatternType.LITERAL, write);
    for (ResourceType type :
        List.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)) {
      kafka.allow(PROCESSOR, type, PROCESSOR, PatternType.PREFIXED, AclOperation.ALL);
    }
    kafka.allow(SINK, ResourceType.TOPIC, TOPICS.aggregates(), PatternType.LITERAL, read);
    kafka.allow(SINK, ResourceType.GROUP, SINK, PatternType.LITERAL, AclOperation.READ);
    kafka.allow(SINK, ResourceType.TOPIC, TOPICS.deadletter(), PatternType.LITERAL, write);
  }

  @AfterAll
  static void stopAndSearchForSecrets() {
    if (proxy != null) {
      proxy.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
    levels.forEach((name, level) -> context.getLogger(name).setLevel(level));
    if (kafka == null) {
      return;
    }

    List<String> secrets = new ArrayList<>(scram.values());
    secrets.add(wrongPassword);
    secrets.add(token);
    for (String user : List.of(SecureKafka.BROKER, EDGE, PROCESSOR, SINK)) {
      secrets.add(kafka.keystorePassword(user));
    }
    List<String> logLines = List.copyOf(logs.lines);
    assertThat(logLines).hasSizeGreaterThan(100);
    assertThat(output).isNotEmpty();
    for (String secret : secrets) {
      assertThat(logLines).noneMatch(l -> l.contains(secret));
      assertThat(output).noneMatch(l -> l.contains(secret));
    }
    System.out.printf(
        "secure broker test: %d log lines and %d pages and messages searched for %d secrets%n",
        logLines.size(), output.size(), secrets.size());
  }

  @Test
  @Order(1)
  void deliversOverSaslSslScramWithEachServicesOwnAcls() throws Exception {
    try (Services s = Services.start(Protocol.SASL_SSL, Map.of())) {
      s.sendUntilDelivered("secure.sasl.hits");
      s.scrapeAll();
    }
  }

  @Test
  @Order(2)
  void deliversOverMutualTlsWithEachServicesOwnAcls() throws Exception {
    try (Services s = Services.start(Protocol.MTLS, Map.of())) {
      s.sendUntilDelivered("secure.mtls.hits");
      s.scrapeAll();
    }
  }

  @Test
  @Order(3)
  void aWrongPasswordIsNamedByItsSettingWhileTheEdgeKeepsBuffering() throws Exception {
    String setting = "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG";
    Throwable processor =
        startProcessorExpectingFailure(processorConfig(Protocol.SASL_SSL, wrongPassword));
    assertThat(processor.getMessage()).contains(setting).contains("SASL login");
    report("wrong password, stream processor", processor.getMessage());

    Throwable sink = runSinkUntilFailed(sinkConfig(Protocol.SASL_SSL, wrongPassword));
    assertThat(sink.getMessage()).contains(setting).contains("SASL login");
    report("wrong password, wavefront sink", sink.getMessage());

    // The password comes from a Secret through the environment: fixing it restarts the pod, and
    // the spool carries what the agent held across the restart.
    String spool = dir.resolve("spool-" + UUID.randomUUID()).toString();
    Map<String, String> wrong = edgeEnv(Protocol.SASL_SSL, wrongPassword);
    wrong.put("FLEETSTATS_SPOOL_DIR", spool);
    int samples;
    Edge refused = Edge.start(wrong);
    try (refused) {
      samples = refused.sendUntilHeld("secure.wrongpassword.hits");
      String line = refused.logLine(setting);
      report("wrong password, edge agent", line);
      assertThat(refused.readyz()).contains(setting);
    }
    // closed: what Kafka refused went to the spool, nothing failed or dropped
    assertThat(refused.agent().samplesFailed()).isZero();
    assertThat(refused.agent().samplesDropped()).isZero();
    Map<String, String> fixed = edgeEnv(Protocol.SASL_SSL, null);
    fixed.put("FLEETSTATS_SPOOL_DIR", spool);
    try (Edge edge = Edge.start(fixed)) {
      edge.awaitDelivered(samples);
    }
  }

  @Test
  @Order(4)
  void aMissingAclIsNamedWithItsTopicWhileTheEdgeKeepsBuffering() throws Exception {
    String aggregates = TOPICS.aggregates();
    kafka.deny(
        SINK,
        ResourceType.TOPIC,
        aggregates,
        PatternType.LITERAL,
        AclOperation.READ,
        AclOperation.DESCRIBE);
    try {
      Throwable sink = runSinkUntilFailed(sinkConfig(Protocol.SASL_SSL, null));
      assertThat(sink.getMessage())
          .contains("access to topic " + aggregates)
          .contains("Read and Describe on topic " + aggregates);
      report("missing ACL, wavefront sink", sink.getMessage());
    } finally {
      kafka.allow(
          SINK,
          ResourceType.TOPIC,
          aggregates,
          PatternType.LITERAL,
          AclOperation.READ,
          AclOperation.DESCRIBE);
    }

    String raw = TOPICS.rawStatsd();
    kafka.deny(
        EDGE,
        ResourceType.TOPIC,
        raw,
        PatternType.LITERAL,
        AclOperation.WRITE,
        AclOperation.DESCRIBE);
    try (Edge edge = Edge.start(edgeEnv(Protocol.MTLS, null))) {
      int samples = edge.sendUntilHeld("secure.denied.hits");
      String line = edge.logLine("access to topic " + raw);
      assertThat(line).contains("Write and Describe on topic " + raw);
      report("missing ACL, edge agent", line);
      kafka.allow(
          EDGE,
          ResourceType.TOPIC,
          raw,
          PatternType.LITERAL,
          AclOperation.WRITE,
          AclOperation.DESCRIBE);
      edge.awaitDelivered(samples);
    }
  }

  @Test
  @Order(5)
  void aWrongKeyStorePasswordStopsTheStartNamingItsSetting() {
    // Kafka cannot even build a client: each service stops at start, saying which setting
    String setting = "FLEETSTATS_KAFKA_SSL_KEYSTORE_PASSWORD";
    Map<String, Throwable> failures = new LinkedHashMap<>();
    failures.put(
        "stream processor",
        catchThrowable(
            () -> StreamProcessor.start(processorConfig(Protocol.MTLS, wrongPassword)).close()));
    failures.put(
        "wavefront sink",
        catchThrowable(
            () -> WavefrontSink.start(sinkConfig(Protocol.MTLS, wrongPassword)).close()));
    failures.put(
        "edge agent",
        catchThrowable(
            () ->
                EdgeAgent.start(EdgeConfig.fromEnv(edgeEnv(Protocol.MTLS, wrongPassword)))
                    .close()));
    failures.forEach(
        (service, t) -> {
          assertThat(t).as(service).isNotNull();
          thrown(t);
          assertThat(t.getMessage()).as(service).contains(setting);
          report("wrong key store password, " + service, t.getMessage());
        });
  }

  /** Starts the processor on another thread: a start that hangs must not hang the test. */
  static Throwable startProcessorExpectingFailure(StreamConfig config) throws Exception {
    CompletableFuture<Throwable> failed =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                StreamProcessor.start(config).close();
                return null;
              } catch (RuntimeException e) {
                return e;
              }
            });
    Throwable t = failed.get(120, TimeUnit.SECONDS);
    assertThat(t).as("the processor started").isNotNull();
    thrown(t);
    return t;
  }

  static Throwable runSinkUntilFailed(SinkConfig config) {
    WavefrontSink sink = WavefrontSink.start(config);
    try {
      await().atMost(Duration.ofSeconds(90)).until(() -> sink.failure().isPresent());
      assertThat(sink.state()).isEqualTo(WavefrontSink.State.FAILED);
      Throwable t = sink.failure().get();
      thrown(t);
      return t;
    } finally {
      sink.close();
    }
  }

  static void report(String what, String message) {
    System.out.println("secure broker test, " + what + ": " + message);
  }

  enum Protocol {
    SASL_SSL,
    MTLS
  }

  /** The environment the chart gives {@code user}'s containers (docs/deploy.md, section 5). */
  static Map<String, String> kafkaEnv(Protocol protocol, String user, String password) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
    env.put("FLEETSTATS_KAFKA_SSL_TRUSTSTORE_LOCATION", kafka.caFile().toString());
    if (protocol == Protocol.SASL_SSL) {
      env.put("FLEETSTATS_KAFKA_BOOTSTRAP", kafka.saslBootstrap());
      env.put("FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
      env.put("FLEETSTATS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
      env.put(
          "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG",
          SecureKafka.jaasConfig(user, password == null ? scram.get(user) : password));
    } else {
      env.put("FLEETSTATS_KAFKA_BOOTSTRAP", kafka.mtlsBootstrap());
      env.put("FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SSL");
      env.put("FLEETSTATS_KAFKA_SSL_KEYSTORE_TYPE", "PKCS12");
      env.put("FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION", kafka.keystore(user).toString());
      env.put(
          "FLEETSTATS_KAFKA_SSL_KEYSTORE_PASSWORD",
          password == null ? kafka.keystorePassword(user) : password);
    }
    env.put("FLEETSTATS_CREATE_TOPICS", "false");
    env.put("CLUSTER_NAME", "secure");
    env.put("NAMESPACE", "default");
    return env;
  }

  static Map<String, String> edgeEnv(Protocol protocol, String password) {
    Map<String, String> env = kafkaEnv(protocol, EDGE, password);
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("POD_NAME", "api-server-0");
    env.put("NODE_HOSTNAME", "node-1");
    return env;
  }

  static StreamConfig processorConfig(Protocol protocol, String password) {
    Map<String, String> env = kafkaEnv(protocol, PROCESSOR, password);
    env.put("FLEETSTATS_STATE_DIR", dir.resolve("streams-" + UUID.randomUUID()).toString());
    env.put("FLEETSTATS_WINDOW", "2s");
    env.put("FLEETSTATS_GRACE", "1s");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:0");
    env.put("POD_NAME", "stream-processor-0");
    return StreamConfig.fromEnv(env);
  }

  static SinkConfig sinkConfig(Protocol protocol, String password) {
    Map<String, String> env = kafkaEnv(protocol, SINK, password);
    env.put("FLEETSTATS_PROXY_URL", proxy.url().toString());
    env.put("FLEETSTATS_WAVEFRONT_TOKEN", token);
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:0");
    env.put("POD_NAME", "wavefront-sink-0");
    return SinkConfig.fromEnv(env);
  }

  /** An edge agent with its admin port, as {@code EdgeAgentMain} runs it. */
  record Edge(EdgeAgent agent, AdminServer admin) implements AutoCloseable {
    static Edge start(Map<String, String> env) {
      EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env));
      return new Edge(
          agent,
          AdminServer.start(
              new InetSocketAddress("127.0.0.1", 0), agent.meterRegistry(), agent::notReadyReason));
    }

    void send(String line) throws Exception {
      byte[] b = line.getBytes(StandardCharsets.US_ASCII);
      try (DatagramSocket socket = new DatagramSocket()) {
        socket.send(new DatagramPacket(b, b.length, agent.statsdAddress()));
      }
    }

    String readyz() throws Exception {
      HttpResponse<String> r = get(admin.address(), "/readyz");
      assertThat(r.statusCode()).isEqualTo(503);
      return r.body();
    }

    /**
     * Sends samples until some are held back (Kafka refuses them) and checks the agent holds them
     * while alive and healthy: none published, failed or dropped.
     *
     * @return the samples received
     */
    int sendUntilHeld(String name) throws Exception {
      for (int i = 0; i < 20; i++) {
        send(name + ":1|c");
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.samplesReceived() >= 20);
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.pendingBatches() > 0);
      assertThat(get(admin.address(), "/healthz").statusCode()).isEqualTo(200);
      assertThat(agent.samplesPublished()).isZero();
      assertThat(agent.samplesFailed()).isZero();
      assertThat(agent.samplesDropped()).isZero();
      output.add(get(admin.address(), "/metrics").body());
      return (int) agent.samplesReceived();
    }

    /** The first log line of the agent that contains {@code text}, waited for. */
    String logLine(String text) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> logs.matching(text).stream().anyMatch(l -> l.startsWith("io.fleetstats.edge")));
      return logs.matching(text).stream()
          .filter(l -> l.startsWith("io.fleetstats.edge"))
          .findFirst()
          .orElseThrow();
    }

    /** Every sample received is acknowledged by Kafka, none lost on the way. */
    void awaitDelivered(int samples) throws Exception {
      await().atMost(Duration.ofSeconds(60)).until(() -> agent.samplesPublished() >= samples);
      assertThat(agent.samplesFailed()).isZero();
      assertThat(agent.samplesDropped()).isZero();
      assertThat(get(admin.address(), "/healthz").statusCode()).isEqualTo(200);
      output.add(get(admin.address(), "/metrics").body());
    }

    @Override
    public void close() {
      admin.close();
      agent.close();
    }
  }

  record Services(Edge edge, StreamProcessor processor, WavefrontSink sink)
      implements AutoCloseable {
    static Services start(Protocol protocol, Map<String, String> passwords) {
      StreamProcessor processor =
          StreamProcessor.start(processorConfig(protocol, passwords.get(PROCESSOR)));
      WavefrontSink sink = WavefrontSink.start(sinkConfig(protocol, passwords.get(SINK)));
      Edge edge = Edge.start(edgeEnv(protocol, passwords.get(EDGE)));
      return new Services(edge, processor, sink);
    }

    void sendUntilDelivered(String name) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                edge.send(name + ":1|c");
                return lines.stream().anyMatch(l -> l.startsWith("\"" + name + "\" "));
              });
    }

    void scrapeAll() throws Exception {
      for (InetSocketAddress a :
          List.of(
              edge.admin().address(),
              processor.adminAddress().orElseThrow(),
              sink.adminAddress().orElseThrow())) {
        for (String path : List.of("/metrics", "/readyz")) {
          output.add(get(a, path).body());
        }
      }
    }

    @Override
    public void close() {
      edge.close();
      sink.close();
      processor.close();
    }
  }

  static HttpResponse<String> get(InetSocketAddress address, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    output.add(r.body());
    return r;
  }

  /** Every log event of the JVM: its message, and every message of its exception's chain. */
  static final class Capture extends AppenderBase<ILoggingEvent> {
    final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();

    @Override
    protected void append(ILoggingEvent e) {
      StringBuilder b = new StringBuilder(e.getLoggerName()).append(' ');
      b.append(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(b.toString());
    }

    List<String> matching(String needle) {
      return lines.stream().filter(l -> l.contains(needle)).toList();
    }
  }

  static void thrown(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      output.add(c.getClass().getName() + ": " + c.getMessage());
    }
  }
}
