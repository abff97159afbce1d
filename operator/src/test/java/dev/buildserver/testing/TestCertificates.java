package dev.buildserver.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A throwaway CA and a server certificate it signs for 127.0.0.1 and localhost, made with the JDK's
 * keytool in a test's directory: for servers with a certificate of their own, which a client trusts
 * only through {@link #caBundle()} ({@code buildserver.aws.ca-bundle}).
 */
public final class TestCertificates {

  private static final String PASSWORD = "throwaway";

  private final Path caBundle;
  private final Path serverKeys;

  private TestCertificates(Path dir) throws IOException {
    this.caBundle = dir.resolve("ca.pem");
    this.serverKeys = dir.resolve("server.p12");
    makeCertificates(dir, serverKeys, caBundle);
  }

  /** Makes the CA and the server's keys in {@code dir}. */
  public static TestCertificates in(Path dir) {
    try {
      return new TestCertificates(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CA's certificate, as a PEM file. */
  public Path caBundle() {
    return caBundle;
  }

  /** A server-side TLS context that presents the signed certificate. */
  public SSLContext serverContext() {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(serverKeys)) {
        keys.load(in, PASSWORD.toCharArray());
      }
      KeyManagerFactory keyManagers =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys, PASSWORD.toCharArray());
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(keyManagers.getKeyManagers(), null, null);
      return tls;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS", e);
    }
  }

  /**
   * A CA, and a server key pair whose certificate the CA signs for 127.0.0.1 and localhost, in
   * PKCS12 key stores; the CA's certificate as PEM.
   */
  private static void makeCertificates(Path dir, Path serverKeys, Path caPem) throws IOException {
    Path caKeys = dir.resolve("ca.p12");
    Path request = dir.resolve("server.csr");
    Path serverPem = dir.resolve("server.pem");
    keytool(dir, "-genkeypair", "-alias", "ca", "-dname", "CN=buildserver test CA")
        .ext("bc:c")
        .ext("KU=keyCertSign,cRLSign")
        .in(caKeys)
        .run();
    keytool(dir, "-exportcert", "-rfc", "-alias", "ca", "-file", caPem.toString()).in(caKeys).run();
    keytool(dir, "-genkeypair", "-alias", "server", "-dname", "CN=127.0.0.1").in(serverKeys).run();
    keytool(dir, "-certreq", "-alias", "server", "-file", request.toString()).in(serverKeys).run();
    keytool(
            dir,
            "-gencert",
            "-rfc",
            "-alias",
            "ca",
            "-infile",
            request.toString(),
            "-outfile",
            serverPem.toString())
        .ext("SAN=ip:127.0.0.1,dns:localhost")
        .ext("EKU=serverAuth")
        .in(caKeys)
        .run();
    // The CA first, so that the signed certificate is accepted as the reply to the request.
    keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString())
        .in(serverKeys)
        .run();
    keytool(dir, "-importcert", "-noprompt", "-alias", "server", "-file", serverPem.toString())
        .in(serverKeys)
        .run();
  }

  private static Keytool keytool(Path dir, String... args) {
    return new Keytool(dir, new ArrayList<>(List.of(args)));
  }

  /** One run of the JDK's keytool, bounded in time. */
  private record Keytool(Path dir, List<String> args) {

    Keytool ext(String extension) {
      args.add("-ext");
      args.add(extension);
      return this;
    }

    Keytool in(Path store) {
      // PKCS12: a key's password is the store's.
      args.addAll(
          List.of("-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD));
      if (args.get(0).equals("-genkeypair")) {
        args.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2"));
      }
      return this;
    }

    void run() throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
      command.addAll(args);
      Path log = dir.resolve("keytool.log");
      Process process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      process.getOutputStream().close(); // a question keytool asks fails it instead of hanging it
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException("keytool " + args.get(0) + " did not finish in 60 s");
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "keytool " + args.get(0) + " failed: " + Files.readString(log));
      }
    }
  }
}
