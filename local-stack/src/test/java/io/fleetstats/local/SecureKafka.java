package io.fleetstats.local;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A real single-node KRaft broker in this JVM that demands authentication and authorizes every
 * request, as a production cluster (Strimzi's) does:
 *
 * <ul>
 *   <li>{@code SASL}: SASL_SSL with SCRAM-SHA-512 (users created through the Admin API);
 *   <li>{@code MTLS}: SSL with {@code ssl.client.auth=required}, the principal the certificate's CN
 *       ({@code ssl.principal.mapping.rules});
 *   <li>{@code INTERNAL} and {@code CONTROLLER}: mTLS with the broker's own certificate, whose
 *       principal {@code User:broker} is the only super user (the test's admin client uses it too).
 * </ul>
 *
 * <p>{@code StandardAuthorizer} is on with no {@code allow.everyone.if.no.acl.found}: a principal
 * may do only what an ACL allows. Certificates (a CA, the broker's with SAN {@code 127.0.0.1}, one
 * per user) are made with BouncyCastle into {@code dir}: {@code ca.crt} (PEM, as Strimzi's cluster
 * CA Secret), {@code <user>/user.p12} and its password (as Strimzi's KafkaUser Secret).
 */
final class SecureKafka implements AutoCloseable {
  static final String BROKER = "broker";
  private static final String SCRAM_MODULE =
      "org.apache.kafka.common.security.scram.ScramLoginModule";

  private final Path dir;
  private final int saslPort = freePort();
  private final int mtlsPort = freePort();
  private final int internalPort = freePort();
  private final int controllerPort = freePort();
  private final KeyPair caKeys;
  private final X509Certificate ca;
  private final Map<String, String> storePasswords = new HashMap<>();
  private KafkaRaftServer server;
  private Admin admin;

  private SecureKafka(Path dir) throws Exception {
    this.dir = Files.createDirectories(dir);
    caKeys = keyPair();
    ca = certificate("O=fleetstats,CN=fleetstats-test-ca", caKeys, null, caKeys, true);
    Files.writeString(caFile(), pem(ca));
    user(BROKER);
  }

  /** Makes the CA and the broker's certificate in {@code dir}, then formats and starts. */
  static SecureKafka start(Path dir) throws Exception {
    SecureKafka kafka = new SecureKafka(dir);
    kafka.startServer();
    return kafka;
  }

  String saslBootstrap() {
    return "127.0.0.1:" + saslPort;
  }

  String mtlsBootstrap() {
    return "127.0.0.1:" + mtlsPort;
  }

  /** The cluster CA certificate, PEM. */
  Path caFile() {
    return dir.resolve("ca.crt");
  }

  /** {@code <user>/user.p12}: the user's key and certificate (CN = the user), PKCS12. */
  Path keystore(String user) {
    return dir.resolve(user).resolve("user.p12");
  }

  String keystorePassword(String user) {
    return storePasswords.get(user);
  }

  /** A key pair and a certificate signed by the CA for {@code user}, written as Strimzi does. */
  void user(String user) throws Exception {
    KeyPair keys = keyPair();
    X509Certificate cert = certificate("O=fleetstats,CN=" + user, keys, ca, caKeys, false);
    String password = "p12-" + Uuid.randomUuid();
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        user, keys.getPrivate(), password.toCharArray(), new Certificate[] {cert, ca});
    Files.createDirectories(keystore(user).getParent());
    try (OutputStream out = Files.newOutputStream(keystore(user))) {
      store.store(out, password.toCharArray());
    }
    storePasswords.put(user, password);
  }

  /** Creates or replaces the user's SCRAM-SHA-512 credential. */
  void scramUser(String user, String password) throws Exception {
    admin
        .alterUserScramCredentials(
            List.of(
                new UserScramCredentialUpsertion(
                    user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
        .all()
        .get(30, TimeUnit.SECONDS);
  }

  static String jaasConfig(String user, String password) {
    return SCRAM_MODULE + " required username=\"" + user + "\" password=\"" + password + "\";";
  }

  /** The super user's admin client (the broker's own certificate on the internal listener). */
  Admin admin() {
    return admin;
  }

  void allow(String user, ResourceType type, String name, PatternType pattern, AclOperation... ops)
      throws Exception {
    admin.createAcls(bindings(user, type, name, pattern, ops)).all().get(30, TimeUnit.SECONDS);
  }

  void deny(String user, ResourceType type, String name, PatternType pattern, AclOperation... ops)
      throws Exception {
    admin
        .deleteAcls(
            bindings(user, type, name, pattern, ops).stream().map(AclBinding::toFilter).toList())
        .all()
        .get(30, TimeUnit.SECONDS);
  }

  private static List<AclBinding> bindings(
      String user, ResourceType type, String name, PatternType pattern, AclOperation... ops) {
    return java.util.Arrays.stream(ops)
        .map(
            op ->
                new AclBinding(
                    new ResourcePattern(type, name, pattern),
                    new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)))
        .toList();
  }

  /** The client properties of {@code user} on the internal mTLS listener. */
  private Map<String, Object> internalClient(String user) {
    Map<String, Object> p = new HashMap<>();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + internalPort);
    p.put("security.protocol", "SSL");
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", caFile().toString());
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", keystore(user).toString());
    p.put("ssl.keystore.password", keystorePassword(user));
    return p;
  }

  private Properties properties() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put(
        "listeners",
        "SASL://127.0.0.1:"
            + saslPort
            + ",MTLS://127.0.0.1:"
            + mtlsPort
            + ",INTERNAL://127.0.0.1:"
            + internalPort
            + ",CONTROLLER://127.0.0.1:"
            + controllerPort);
    p.put(
        "advertised.listeners",
        "SASL://127.0.0.1:"
            + saslPort
            + ",MTLS://127.0.0.1:"
            + mtlsPort
            + ",INTERNAL://127.0.0.1:"
            + internalPort);
    p.put("listener.security.protocol.map", "SASL:SASL_SSL,MTLS:SSL,INTERNAL:SSL,CONTROLLER:SSL");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "INTERNAL");
    p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
    // every listener: the broker's certificate; clients are checked against the one CA
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", keystore(BROKER).toString());
    p.put("ssl.keystore.password", keystorePassword(BROKER));
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", caFile().toString());
    // SSL listeners demand a client certificate; the SASL_SSL one authenticates by SCRAM only
    p.put("ssl.client.auth", "required");
    p.put("listener.name.sasl.ssl.client.auth", "none");
    p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+),.*$/$1/,DEFAULT");
    p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
    p.put("listener.name.sasl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
    p.put("listener.name.sasl.scram-sha-512.sasl.jaas.config", SCRAM_MODULE + " required;");
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("super.users", "User:" + BROKER);
    p.put("allow.everyone.if.no.acl.found", "false");
    p.put("log.dirs", dir.resolve("kafka").toString());
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.dedupe.buffer.size", "2097152");
    return p;
  }

  private void startServer() throws Exception {
    KafkaConfig config = new KafkaConfig(properties());
    Formatter formatter =
        new Formatter()
            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
            .setNodeId(config.nodeId())
            .setClusterId(Uuid.randomUuid().toString())
            .setWriteBootstrapSnapshot(true)
            .setControllerListenerName(config.controllerListenerNames().get(0))
            .setMetadataLogDirectory(config.metadataLogDir())
            .setHasDynamicQuorum(true)
            .setInitialControllers(StorageTool.createStandaloneDynamicVoters(config));
    StorageTool.configToLogDirectories(config).foreach(formatter::addDirectory);
    formatter.run();
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    Map<String, Object> props = internalClient(BROKER);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    admin = Admin.create(props);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the secure broker did not serve", e);
        }
      }
    }
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
    }
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static X509Certificate certificate(
      String dn, KeyPair keys, X509Certificate issuer, KeyPair issuerKeys, boolean isCa)
      throws Exception {
    Instant now = Instant.now();
    // written most significant first, so that the RFC 2253 form (the principal) is CN=…,O=…
    X500Name subject = new X500Name(dn);
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer == null
                ? subject
                : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
            BigInteger.valueOf(now.toEpochMilli())
                .add(BigInteger.valueOf(System.nanoTime() & 0xffff)),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (!isCa) {
      // the broker's certificate is checked against the address the clients dial (hostname
      // verification stays on, as in production); users' carry it too, harmlessly
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")
              }));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static String pem(X509Certificate cert) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(cert.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
