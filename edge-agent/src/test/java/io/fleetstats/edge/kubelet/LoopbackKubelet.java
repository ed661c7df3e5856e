package io.fleetstats.edge.kubelet;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A kubelet's Summary API on loopback, over HTTPS with a certificate made for 127.0.0.1 (or plain
 * HTTP), answering as a kubelet does: 401 without a token it accepts, 403 with the kubelet's own
 * wording for a token whose service account lacks {@code nodes/stats}, else the summary the test
 * supplies.
 */
final class LoopbackKubelet implements AutoCloseable {
  static final String GOOD_TOKEN = "good-token";
  static final String NO_RBAC_TOKEN = "token-without-nodes-stats";

  private final HttpServer server;
  private final Path caFile;
  final CopyOnWriteArrayList<String> authorizations = new CopyOnWriteArrayList<>();
  private volatile Supplier<String> summary;

  private LoopbackKubelet(HttpServer server, Path caFile, Supplier<String> summary) {
    this.server = server;
    this.caFile = caFile;
    this.summary = summary;
    server.createContext("/stats/summary", this::handle);
    server.start();
  }

  static LoopbackKubelet https(Path dir, Supplier<String> summary) throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    X500Name name = new X500Name("CN=node-a");
    Instant now = Instant.now();
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        name,
                        BigInteger.valueOf(now.toEpochMilli()),
                        Date.from(now.minusSeconds(60)),
                        Date.from(now.plusSeconds(3600)),
                        name,
                        keys.getPublic())
                    .addExtension(
                        Extension.subjectAlternativeName,
                        false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")))
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "changeit".toCharArray();
    store.setKeyEntry("kubelet", keys.getPrivate(), password, new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      w.writeObject(cert);
    }
    Path ca = dir.resolve("kubelet-ca.crt");
    Files.writeString(ca, pem.toString());
    return new LoopbackKubelet(server, ca, summary);
  }

  static LoopbackKubelet http(Supplier<String> summary) throws IOException {
    return new LoopbackKubelet(
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0),
        null,
        summary);
  }

  void answer(Supplier<String> summary) {
    this.summary = summary;
  }

  String url() {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return scheme + "://127.0.0.1:" + server.getAddress().getPort();
  }

  Path caFile() {
    return caFile;
  }

  private void handle(HttpExchange ex) throws IOException {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    authorizations.add(auth == null ? "" : auth);
    int status;
    String body;
    if (("Bearer " + GOOD_TOKEN).equals(auth)) {
      status = 200;
      body = summary.get();
    } else if (("Bearer " + NO_RBAC_TOKEN).equals(auth)) {
      status = 403;
      body =
          "Forbidden (user=system:serviceaccount:fleetstats:fleetstats-node, verb=get,"
              + " resource=nodes, subresource(s)=[stats])";
    } else {
      status = 401;
      body = "Unauthorized";
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders()
        .putAll(
            Map.of(
                "Content-Type",
                java.util.List.of(status == 200 ? "application/json" : "text/plain")));
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
