package dev.buildserver.testing;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * LocalStack (S3 and EC2) as a host process, where no Docker engine runs (this machine, CI): {@code
 * python -m localstack.runtime.main} from the pinned, date-resolved venv that {@code
 * hack/localstack-venv.sh} builds ({@code make tools}), on a free 127.0.0.1 port. Its state lives
 * in memory; a reset restarts the process on the same port (about 4 s), as the community edition
 * has no reset endpoint. Everything it could fetch from the internet (DNS fallback, its test
 * certificate, analytics) is turned off.
 */
public final class LocalStackProcess extends HostEmulator {

  private final Path python = RepoFiles.repo().resolve(".venv-localstack/bin/python");
  private final int port = MotoServer.freePort();

  public LocalStackProcess() {
    super("LocalStack", Duration.ofSeconds(90));
    if (!Files.isExecutable(python)) {
      throw RepoFiles.missingTool(
          "LocalStack " + RepoFiles.pinned("LOCALSTACK_VERSION") + " (" + python + ")",
          "run hack/localstack-venv.sh");
    }
    start();
  }

  @Override
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  @Override
  List<String> command(Path data) {
    return List.of(python.toString(), "-m", "localstack.runtime.main");
  }

  @Override
  Map<String, String> environment(Path data) {
    return Map.of(
        "GATEWAY_LISTEN", "127.0.0.1:" + port,
        "SERVICES", "s3,ec2",
        "EAGER_SERVICE_LOADING", "1",
        "OVERRIDE_IN_DOCKER", "0",
        "FILESYSTEM_ROOT", data.toString(),
        "DNS_ADDRESS", "0",
        "SKIP_SSL_CERT_DOWNLOAD", "1",
        "DISABLE_EVENTS", "1");
  }

  @Override
  String readyPath() {
    return "/_localstack/init/ready";
  }

  @Override
  Predicate<HttpResponse<String>> ready() {
    return answer ->
        answer.statusCode() == 200 && answer.body().matches("(?s).*\"completed\"\\s*:\\s*true.*");
  }
}
