package dev.buildserver.aws;

import dev.buildserver.aws.AwsSettings.CaBundle;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import software.amazon.awssdk.http.TlsTrustManagersProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;

/**
 * The certificate authorities AWS clients trust: the JDK's default trust store, plus the CA bundle
 * of {@link AwsSettings#caBundle()} when one is set, so that an S3-compatible store with a
 * certificate of its own is reached over TLS while real AWS keeps working. Every HTTP client that
 * talks to AWS (S3, EC2, STS) is built by {@link #httpClient}.
 */
public final class TrustedCertificates {

  private static final String FIX = "; point it at a PEM file of CA certificates";

  private TrustedCertificates() {}

  /**
   * An Apache HTTP client builder that trusts the configured CA bundle on top of the JDK's
   * authorities (the SDK's default without one).
   *
   * @throws Problem InvalidCaBundle when the bundle is missing, unreadable or holds no certificate
   */
  public static ApacheHttpClient.Builder httpClient(AwsSettings settings) {
    ApacheHttpClient.Builder builder = ApacheHttpClient.builder();
    provider(settings).ifPresent(builder::tlsTrustManagersProvider);
    return builder;
  }

  /**
   * Reads the configured CA bundle, if any, so that a bad one stops a start with one clear line.
   *
   * @throws Problem InvalidCaBundle when the bundle is missing, unreadable or holds no certificate
   */
  public static void check(AwsSettings settings) {
    settings.caBundle().ifPresent(TrustedCertificates::read);
  }

  /** The trust managers of the configured CA bundle; empty without one. */
  static Optional<TlsTrustManagersProvider> provider(AwsSettings settings) {
    return settings
        .caBundle()
        .map(
            bundle -> {
              TrustManager[] managers = trustManagers(read(bundle));
              return () -> managers;
            });
  }

  /** Trust managers that accept the JDK's default authorities and {@code extra}. */
  static TrustManager[] trustManagers(List<X509Certificate> extra) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (X509Certificate authority : defaultAuthorities()) {
        store.setCertificateEntry("jdk-" + n++, authority);
      }
      for (X509Certificate authority : extra) {
        store.setCertificateEntry("bundle-" + n++, authority);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust store", e);
    }
  }

  /** What the JDK trusts by default (its cacerts, or {@code javax.net.ssl.trustStore}). */
  private static X509Certificate[] defaultAuthorities() throws GeneralSecurityException {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init((KeyStore) null);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        return x509.getAcceptedIssuers();
      }
    }
    return new X509Certificate[0];
  }

  /** The certificates of a bundle; a problem that names the setting and the path otherwise. */
  static List<X509Certificate> read(CaBundle bundle) {
    String where = bundle.setting() + " " + bundle.path();
    if (Files.isDirectory(bundle.path())) {
      throw invalid(where + ": a directory, not a file" + FIX);
    }
    List<X509Certificate> certificates = new ArrayList<>();
    try (InputStream in = Files.newInputStream(bundle.path())) {
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        if (certificate instanceof X509Certificate x509) {
          certificates.add(x509);
        }
      }
    } catch (NoSuchFileException e) {
      throw invalid(where + ": no such file" + FIX);
    } catch (AccessDeniedException e) {
      throw invalid(where + ": not readable by the operator's user" + FIX);
    } catch (IOException e) {
      throw invalid(where + ": cannot be read (" + e.getClass().getSimpleName() + ")" + FIX);
    } catch (CertificateException e) {
      throw invalid(where + ": not a PEM file of certificates" + FIX);
    }
    if (certificates.isEmpty()) {
      throw invalid(where + ": holds no certificate" + FIX);
    }
    return certificates;
  }

  /** Without a cause: the message is the whole story, and start-up reports the root message. */
  private static Problem invalid(String message) {
    return new Problem(Reason.InvalidCaBundle, message, false);
  }
}
