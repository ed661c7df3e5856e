package io.fleetstats.injector;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** A self-signed certificate for 127.0.0.1/localhost, written as PEM like a TLS Secret. */
record SelfSignedCert(X509Certificate certificate, KeyPair keys) {

  /**
   * @param algorithm RSA or EC
   */
  static SelfSignedCert generate(String algorithm, long serial) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance(algorithm);
    gen.initialize(algorithm.equals("EC") ? 256 : 2048);
    KeyPair keys = gen.generateKeyPair();
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=fleetstats-webhook-test");
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.valueOf(serial),
            Date.from(now.minus(1, ChronoUnit.HOURS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)),
            name,
            keys.getPublic());
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              new GeneralName(GeneralName.dNSName, "localhost")
            }));
    String sig = algorithm.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(new JcaContentSignerBuilder(sig).build(keys.getPrivate())));
    return new SelfSignedCert(cert, keys);
  }

  /** tls.crt */
  void writeCert(Path file) throws IOException {
    Files.writeString(file, pem(certificate));
  }

  /**
   * tls.key, as Helm's genSignedCert and cert-manager write it by default (PKCS#1 "RSA PRIVATE
   * KEY", SEC1 "EC PRIVATE KEY"), or PKCS#8 ("PRIVATE KEY").
   */
  void writeKey(Path file, boolean pkcs8) throws IOException {
    Object key = pkcs8 ? new JcaPKCS8Generator(keys.getPrivate(), null) : keys.getPrivate();
    if (!pkcs8 && keys.getPrivate().getAlgorithm().equals("EC")) {
      // SEC1 with the named curve inside, as OpenSSL and cert-manager write it (the JDK's PKCS#8
      // keeps the curve in the algorithm identifier only)
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
      ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
      key =
          new PemObject(
              "EC PRIVATE KEY",
              new ECPrivateKey(
                      256, inner.getKey(), null, info.getPrivateKeyAlgorithm().getParameters())
                  .getEncoded());
    }
    Files.writeString(file, pem(key));
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }
}
