package io.fleetstats.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The HTTPS server on loopback, with a certificate made in the test, trusted by the client. */
class WebhookServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} key, PKCS#8 {1}")
  @CsvSource({"RSA,false", "RSA,true", "EC,false", "EC,true"})
  void answersAnAdmissionReviewOverTls(String algorithm, boolean pkcs8) throws Exception {
    SelfSignedCert cert = SelfSignedCert.generate(algorithm, 1);
    Path crt = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    cert.writeCert(crt);
    cert.writeKey(key, pkcs8);
    try (WebhookServer server = start(crt, key)) {
      JsonNode pod =
          YAML.readTree(
              "metadata: {name: api-0, annotations: {fleetstats.io/inject: 'true'}}\n"
                  + "spec: {containers: [{name: api}]}");
      Response r =
          post(server, "/mutate", JSON.writeValueAsBytes(PodMutatorTest.review("abc", pod)), cert);

      assertThat(r.status()).isEqualTo(200);
      JsonNode response = JSON.readTree(r.body()).path("response");
      assertThat(response.path("uid").asText()).isEqualTo("abc");
      assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
      assertThat(r.served().getSerialNumber()).isEqualTo(BigInteger.ONE);
      assertThat(server.injected()).isEqualTo(1);
      assertThat(get(server, "/healthz", cert).status()).isEqualTo(200);
    }
  }

  @Test
  void badRequestsAreAnswered400WithTheReason() throws Exception {
    SelfSignedCert cert = SelfSignedCert.generate("EC", 7);
    Path crt = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    cert.writeCert(crt);
    cert.writeKey(key, false);
    try (WebhookServer server = start(crt, key)) {
      Response notJson = post(server, "/mutate", "{oops".getBytes(StandardCharsets.UTF_8), cert);
      assertThat(notJson.status()).isEqualTo(400);
      assertThat(notJson.body()).startsWith("not JSON");
      Response wrongKind =
          post(server, "/mutate", "{\"kind\":\"Pod\"}".getBytes(StandardCharsets.UTF_8), cert);
      assertThat(wrongKind.status()).isEqualTo(400);
      assertThat(wrongKind.body()).contains("AdmissionReview");
      assertThat(server.rejected()).isEqualTo(2);
    }
  }

  @Test
  void aRenewedCertificateIsServedWithoutRestart() throws Exception {
    SelfSignedCert first = SelfSignedCert.generate("RSA", 1);
    SelfSignedCert second = SelfSignedCert.generate("EC", 2);
    Path crt = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    first.writeCert(crt);
    first.writeKey(key, false);
    try (WebhookServer server = start(crt, key)) {
      assertThat(get(server, "/healthz", first).served().getSerialNumber())
          .isEqualTo(BigInteger.ONE);

      // half-written: a new certificate with the old key does not parse as a pair... the old stays
      Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> server.keys().failures() > 0);
      assertThat(get(server, "/healthz", first).served().getSerialNumber())
          .isEqualTo(BigInteger.ONE);

      second.writeCert(crt);
      second.writeKey(key, true);
      await().atMost(Duration.ofSeconds(10)).until(() -> server.keys().reloads() == 1);
      assertThat(get(server, "/healthz", second).served().getSerialNumber())
          .isEqualTo(BigInteger.TWO);
    }
  }

  private static WebhookServer start(Path crt, Path key) throws Exception {
    return WebhookServer.start(
        new InetSocketAddress("127.0.0.1", 0),
        new ReloadingKeyManager(crt, key),
        Duration.ofMillis(50),
        new PodMutator(
            SidecarTemplate.read(Path.of("src/test/resources/admission/sidecar.yaml")), true));
  }

  record Response(int status, String body, X509Certificate served) {}

  private static Response get(WebhookServer server, String path, SelfSignedCert trusted)
      throws Exception {
    return call(server, path, null, trusted);
  }

  private static Response post(
      WebhookServer server, String path, byte[] body, SelfSignedCert trusted) throws Exception {
    return call(server, path, body, trusted);
  }

  private static Response call(
      WebhookServer server, String path, byte[] body, SelfSignedCert trusted) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("webhook", trusted.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    // a new context per call: no TLS session is resumed across a certificate change
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    URL url = new URL("https://127.0.0.1:" + server.address().getPort() + path);
    HttpsURLConnection c = (HttpsURLConnection) url.openConnection();
    c.setSSLSocketFactory(tls.getSocketFactory());
    if (body != null) {
      c.setRequestMethod("POST");
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "application/json");
      try (OutputStream out = c.getOutputStream()) {
        out.write(body);
      }
    }
    int status = c.getResponseCode();
    X509Certificate served = (X509Certificate) c.getServerCertificates()[0];
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Response(status, new String(in.readAllBytes(), StandardCharsets.UTF_8), served);
    } finally {
      c.disconnect();
    }
  }
}
