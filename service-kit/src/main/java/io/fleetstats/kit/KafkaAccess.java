package io.fleetstats.kit;

import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Says what to fix when Kafka refuses a service: a failed login names the settings that hold the
 * credentials, a denied request names the resource and the ACL the service's principal lacks.
 * Kafka's own exceptions say neither ({@code Not authorized to access topics: [...]}, {@code
 * Authentication failed during authentication due to invalid credentials with SASL mechanism
 * SCRAM-SHA-512}).
 *
 * <p>The messages carry no secret: Kafka's messages name the mechanism and the resource, never the
 * credentials, and the settings are named by key.
 */
public final class KafkaAccess {
  /** Where the ACLs each service needs are listed. */
  public static final String ACL_DOC = "docs/operations.md, \"Kafka security\"";

  private KafkaAccess() {}

  /**
   * Whether {@code error} (or a cause) is Kafka refusing a login or a request, or a client that
   * cannot be built because its key or trust store cannot be read.
   */
  public static boolean refused(Throwable error) {
    return find(error).isPresent();
  }

  /**
   * What to fix, when {@code error} (or a cause) is Kafka refusing a login or a request; empty for
   * any other error.
   *
   * @param needs the ACLs this client needs, e.g. {@code "Write and Describe on the raw topics"}
   */
  public static Optional<String> explain(Throwable error, String needs) {
    return find(error).map(t -> message(t, needs));
  }

  private static Optional<Throwable> find(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof AuthenticationException
          || t instanceof AuthorizationException
          || storeFailure(t) != null) {
        return Optional.of(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  /**
   * "keystore" or "truststore" when {@code t} is Kafka failing to load that store as it builds a
   * client ({@code Failed to load SSL keystore <path> of type PKCS12}), else null. Only these
   * messages are matched and quoted: they name a path and a type, never a password (unlike a JAAS
   * parse error, which may quote the configuration).
   */
  private static String storeFailure(Throwable t) {
    if (!(t instanceof KafkaException) || t.getMessage() == null) {
      return null;
    }
    if (t.getMessage().startsWith("Failed to load SSL keystore")) {
      return "keystore";
    }
    if (t.getMessage().startsWith("Failed to load SSL truststore")) {
      return "truststore";
    }
    return null;
  }

  private static String message(Throwable t, String needs) {
    String store = storeFailure(t);
    if (store != null) {
      String key = "FLEETSTATS_KAFKA_SSL_" + store.toUpperCase(java.util.Locale.ROOT);
      return "cannot create the Kafka client: "
          + t.getMessage()
          + " ("
          + rootMessage(t)
          + "): check "
          + key
          + "_LOCATION, "
          + key
          + "_TYPE and "
          + key
          + "_PASSWORD";
    }
    if (t instanceof SaslAuthenticationException) {
      return "Kafka refused the SASL login ("
          + t.getMessage()
          + "): check the user name and password in FLEETSTATS_KAFKA_SASL_JAAS_CONFIG and the"
          + " mechanism in FLEETSTATS_KAFKA_SASL_MECHANISM";
    }
    if (t instanceof SslAuthenticationException) {
      return "the TLS handshake with Kafka failed ("
          + rootMessage(t)
          + "): check FLEETSTATS_KAFKA_SSL_TRUSTSTORE_LOCATION (the brokers' CA) and, for mutual"
          + " TLS, the certificate in FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION";
    }
    if (t instanceof AuthenticationException) {
      return "Kafka refused the login ("
          + t.getMessage()
          + "): check FLEETSTATS_KAFKA_SECURITY_PROTOCOL and the credentials in"
          + " FLEETSTATS_KAFKA_SASL_JAAS_CONFIG or FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION";
    }
    String what;
    if (t instanceof TopicAuthorizationException e && !e.unauthorizedTopics().isEmpty()) {
      what = "topic " + String.join(", ", e.unauthorizedTopics());
    } else if (t instanceof GroupAuthorizationException e && e.groupId() != null) {
      what = "group " + e.groupId();
    } else if (t instanceof TransactionalIdAuthorizationException) {
      what = "its transactional id";
    } else if (t instanceof ClusterAuthorizationException) {
      what = "the cluster";
    } else {
      what = "a resource (" + t.getMessage() + ")";
    }
    return "Kafka denies this service's principal (the user in FLEETSTATS_KAFKA_SASL_JAAS_CONFIG"
        + " or the certificate in FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION) access to "
        + what
        + ": grant it the ACLs "
        + needs
        + " ("
        + ACL_DOC
        + ")";
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }
}
