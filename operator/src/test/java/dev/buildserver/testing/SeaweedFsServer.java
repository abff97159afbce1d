package dev.buildserver.testing;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * SeaweedFS, a real S3 server (Apache-2.0), as a host process: {@code weed server} with master,
 * volume, filer and S3 gateway on free 127.0.0.1 ports, built from the Go module proxy by {@code
 * hack/seaweedfs.sh} ({@code make tools}) and cached. S3 only: there is no EC2. Without identities
 * configured it takes any access key. A reset deletes every bucket with all it holds (SeaweedFS
 * allows that when started so), which is quicker than a restart.
 */
public final class SeaweedFsServer extends HostEmulator {

  private final Path binary;
  private final int s3Port = MotoServer.freePort();
  private final List<Integer> ports = new ArrayList<>();

  public SeaweedFsServer() {
    super("SeaweedFS", Duration.ofSeconds(60));
    binary = binary();
    for (int i = 0; i < 7; i++) { // master, volume, filer and S3, and their gRPC ports
      ports.add(MotoServer.freePort());
    }
    start();
  }

  /** The cached binary that hack/seaweedfs.sh builds. */
  public static Path binary() {
    String tools = System.getenv("BUILDSERVER_TOOLS");
    Path root =
        tools == null || tools.isBlank()
            ? Path.of(System.getProperty("user.home"), ".cache", "buildserver")
            : Path.of(tools);
    Path weed = root.resolve("seaweedfs-" + RepoFiles.pinned("SEAWEEDFS_VERSION")).resolve("weed");
    if (!Files.isExecutable(weed)) {
      throw RepoFiles.missingTool("SeaweedFS (" + weed + ")", "run hack/seaweedfs.sh");
    }
    return weed;
  }

  @Override
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + s3Port);
  }

  @Override
  List<String> command(Path data) {
    return List.of(
        binary.toString(),
        "server",
        "-dir=" + data,
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.port=" + ports.get(0),
        "-master.port.grpc=" + ports.get(1),
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=100",
        "-volume.max=100",
        "-volume.port=" + ports.get(2),
        "-volume.port.grpc=" + ports.get(3),
        "-filer",
        "-filer.port=" + ports.get(4),
        "-filer.port.grpc=" + ports.get(5),
        "-s3",
        "-s3.allowDeleteBucketNotEmpty", // a reset deletes every bucket with what it holds
        "-s3.port=" + s3Port,
        "-s3.port.grpc=" + ports.get(6));
  }

  @Override
  public void reset() {
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(endpoint())
            .forcePathStyle(true)
            .region(Region.US_EAST_1)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("reset", "reset")))
            .build()) {
      for (var bucket : s3.listBuckets().buckets()) {
        s3.deleteBucket(b -> b.bucket(bucket.name()));
      }
    }
  }

  @Override
  Map<String, String> environment(Path data) {
    return Map.of();
  }

  @Override
  String readyPath() {
    return "/";
  }

  @Override
  Predicate<HttpResponse<String>> ready() {
    return answer -> answer.statusCode() == 200; // ListBuckets: the gateway reaches the filer
  }
}
