package io.fleetstats.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KafkaAccessTest {
  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of(
            "wrong SCRAM password",
            new SaslAuthenticationException(
                "Authentication failed during authentication due to invalid credentials with SASL"
                    + " mechanism SCRAM-SHA-512"),
            "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG"),
        Arguments.of(
            "untrusted broker certificate, wrapped as the admin client does",
            new ExecutionException(
                new SslAuthenticationException(
                    "SSL handshake failed", new RuntimeException("PKIX path building failed"))),
            "FLEETSTATS_KAFKA_SSL_TRUSTSTORE_LOCATION"),
        Arguments.of(
            "topic without an ACL, inside a Streams wrapper",
            new KafkaException(
                "stream thread failed",
                new TopicAuthorizationException(Set.of("fleetstats.raw.statsd"))),
            "access to topic fleetstats.raw.statsd: grant it the ACLs Write on it"),
        Arguments.of(
            "group without an ACL",
            GroupAuthorizationException.forGroupId("fleetstats-wavefront-sink"),
            "access to group fleetstats-wavefront-sink"),
        Arguments.of(
            "key store password wrong, as the client's constructor wraps it",
            new KafkaException(
                "Failed to construct kafka producer",
                new KafkaException(
                    "Failed to load SSL keystore /etc/fleetstats/kafka-user/user.p12 of type PKCS12",
                    new java.io.IOException("keystore password was incorrect"))),
            "keystore password was incorrect): check FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION,"
                + " FLEETSTATS_KAFKA_SSL_KEYSTORE_TYPE and FLEETSTATS_KAFKA_SSL_KEYSTORE_PASSWORD"),
        Arguments.of(
            "transactional id without an ACL",
            new TransactionalIdAuthorizationException("denied"),
            "access to its transactional id"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void namesWhatToFix(String name, Throwable error, String expected) {
    assertThat(KafkaAccess.refused(error)).isTrue();
    assertThat(KafkaAccess.explain(error, "Write on it"))
        .hasValueSatisfying(m -> assertThat(m).contains(expected));
  }

  @Test
  void otherErrorsAreNotRefusals() {
    TimeoutException timeout = new TimeoutException("no answer");
    assertThat(KafkaAccess.refused(timeout)).isFalse();
    assertThat(KafkaAccess.explain(new ExecutionException(timeout), "Write")).isEmpty();
  }
}
