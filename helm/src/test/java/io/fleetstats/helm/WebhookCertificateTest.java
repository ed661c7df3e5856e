package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fleetstats.injector.PodMutator;
import io.fleetstats.injector.ReloadingKeyManager;
import io.fleetstats.injector.SidecarTemplate;
import io.fleetstats.injector.WebhookServer;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certificate the chart makes (Helm's genCA + genSignedCert) works with the injector: it reads
 * the Secret's PEM files, and a client trusting only the webhook configuration's caBundle (as the
 * api-server does) completes the TLS handshake and sees the Service's DNS name.
 */
class WebhookCertificateTest {
  @TempDir Path dir;

  @Test
  void theApiServerTrustsTheServedCertificateThroughTheCaBundle() throws Exception {
    List<HasMetadata> rs =
        Chart.resources(Chart.template(Chart.DIR.resolve("ci/edge-only-values.yaml"), t -> t));
    Secret tls = ChartTest.one(rs, Secret.class);
    assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
    Files.write(dir.resolve("tls.crt"), Base64.getDecoder().decode(tls.getData().get("tls.crt")));
    Files.write(dir.resolve("tls.key"), Base64.getDecoder().decode(tls.getData().get("tls.key")));
    String caBundle =
        ChartTest.one(rs, MutatingWebhookConfiguration.class)
            .getWebhooks()
            .get(0)
            .getClientConfig()
            .getCaBundle();
    X509Certificate ca =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(Base64.getDecoder().decode(caBundle)));

    SidecarTemplate template =
        SidecarTemplate.parse(
            "container: {name: fleetstats-edge, image: x}\nvolumes: []", "a minimal sidecar");
    try (WebhookServer server =
        WebhookServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            new ReloadingKeyManager(dir.resolve("tls.crt"), dir.resolve("tls.key")),
            Duration.ofSeconds(10),
            new PodMutator(template, true))) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      SSLContext client = SSLContext.getInstance("TLS");
      client.init(null, tmf.getTrustManagers(), null);
      try (SSLSocket socket =
          (SSLSocket)
              client.getSocketFactory().createSocket("127.0.0.1", server.address().getPort())) {
        socket.startHandshake(); // throws unless the chain leads to the caBundle's CA
        X509Certificate served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
        List<String> names =
            served.getSubjectAlternativeNames().stream().map(san -> (String) san.get(1)).toList();
        assertThat(names)
            .contains(
                "fs-fleetstats-webhook.fleetstats.svc",
                "fs-fleetstats-webhook.fleetstats.svc.cluster.local");
        assertThat(served.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
      }
    }
  }
}
