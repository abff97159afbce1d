package dev.buildserver.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildserver.aws.AwsSettings.CaBundle;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading buildserver.aws.ca-bundle, and the trust it adds to the JDK's. No server. */
class TrustedCertificatesTest {

  /** A self-signed certificate (CN=a), as keytool -exportcert -rfc writes it. */
  static final String CERTIFICATE =
      """
      -----BEGIN CERTIFICATE-----
      MIIBLjCB1qADAgECAgkA1ZvZVxLwHJswCgYIKoZIzj0EAwIwDDEKMAgGA1UEAxMB
      YTAeFw0yNjEyMDQxNDQ5MTBaFw0yNjEyMDYxNDQ5MTBaMAwxCjAIBgNVBAMTAWEw
      WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASGBVMW193CrZTKc3hACx5yv7zC9mm8
      9Fl87+r1SbC65byT8B+iWZF/TlcerCMbrU8Hi4I9oAKWg4CIKlGhTm/NoyEwHzAd
      BgNVHQ4EFgQUqrHja8bbgGa1HnJ1vffuTSYxXycwCgYIKoZIzj0EAwIDRwAwRAIg
      VEzv+nuIyxY7GPzA+BpxgB7Z9h6vXSDB2QsFwrRUoXoCIAw4v62ltrHjOi+02bi2
      zCbgs9+mnaHzOrrrrj9LNdMk
      -----END CERTIFICATE-----
      """;

  @TempDir Path dir;

  private static CaBundle bundle(Path path) {
    return new CaBundle(AwsSettings.CA_BUNDLE, path);
  }

  @Test
  void readsEveryCertificateOfABundleWithCommentsBetweenThem() throws IOException {
    Path pem = dir.resolve("ca.pem");
    Files.writeString(pem, "# first\n" + CERTIFICATE + "\n# the same again\n" + CERTIFICATE);

    List<X509Certificate> read = TrustedCertificates.read(bundle(pem));

    assertThat(read).hasSize(2);
    assertThat(read.get(0).getSubjectX500Principal().getName()).isEqualTo("CN=a");
  }

  @Test
  void trustsTheJdksAuthoritiesAndTheBundles() throws Exception {
    X509Certificate extra =
        TrustedCertificates.read(bundle(Files.writeString(dir.resolve("ca.pem"), CERTIFICATE)))
            .get(0);

    X509TrustManager trust =
        (X509TrustManager) TrustedCertificates.trustManagers(List.of(extra))[0];

    List<X509Certificate> jdk = Arrays.asList(jdkAuthorities());
    assertThat(jdk).isNotEmpty().doesNotContain(extra);
    assertThat(trust.getAcceptedIssuers()).contains(extra).containsAll(jdk).hasSize(jdk.size() + 1);
  }

  @Test
  void namesTheSettingAndThePathOfAMissingBundle() {
    Path missing = dir.resolve("missing.pem");

    assertThatThrownBy(() -> TrustedCertificates.read(bundle(missing)))
        .isInstanceOfSatisfying(
            Problem.class,
            p -> {
              assertThat(p.kind()).isEqualTo(Reason.InvalidCaBundle);
              assertThat(p.retryable()).isFalse();
              assertThat(p.getCause()).isNull(); // start-up reports the root cause's message
            })
        .hasMessage(
            "buildserver.aws.ca-bundle "
                + missing
                + ": no such file; point it at a PEM file of CA certificates");
  }

  @Test
  void refusesAnEmptyFileAFileOfOtherTextAndADirectory() throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.pem"));
    Path text = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n");

    assertThatThrownBy(() -> TrustedCertificates.read(bundle(empty)))
        .hasMessage(
            "buildserver.aws.ca-bundle "
                + empty
                + ": holds no certificate; point it at a PEM file of CA certificates");
    assertThatThrownBy(() -> TrustedCertificates.read(bundle(text)))
        .hasMessage(
            "buildserver.aws.ca-bundle "
                + text
                + ": not a PEM file of certificates; point it at a PEM file of CA certificates");
    assertThatThrownBy(() -> TrustedCertificates.read(bundle(dir)))
        .hasMessage(
            "buildserver.aws.ca-bundle "
                + dir
                + ": a directory, not a file; point it at a PEM file of CA certificates");
  }

  @Test
  void aConfiguredBundleIsNamedByTheSettingAndCheckedWhenAsked() {
    AwsSettings settings = new AwsSettings();
    Path missing = dir.resolve("nope.pem");
    settings.setCaBundle(" " + missing + " ");

    assertThat(settings.caBundle()).contains(bundle(missing));
    assertThatThrownBy(() -> TrustedCertificates.check(settings))
        .isInstanceOf(Problem.class)
        .hasMessageStartingWith("buildserver.aws.ca-bundle " + missing + ": no such file");
  }

  private static X509Certificate[] jdkAuthorities() throws Exception {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init((KeyStore) null);
    return ((X509TrustManager) factory.getTrustManagers()[0]).getAcceptedIssuers();
  }
}
