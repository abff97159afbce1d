package dev.buildserver.cli;

import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.s3.ObjectStore;
import io.micronaut.context.BeanProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code builder get-asset}: writes an object's bytes to a file or stdout. */
@Command(
    name = "get-asset",
    mixinStandardHelpOptions = true,
    description = "Download an object from S3.")
public class GetAssetCommand implements Callable<Integer> {

  @Option(names = "--bucket", required = true, description = "Bucket.")
  String bucket;

  @Option(names = "--key", required = true, description = "Object key.")
  String key;

  @Option(names = "--file", description = "Write to this file instead of stdout.")
  Path file;

  @Option(names = "--region", description = "Bucket region (default: AWS_REGION).")
  String region;

  @Inject BeanProvider<ObjectStore> store;

  @Override
  public Integer call() throws IOException {
    if (file == null) {
      store.get().get(AwsIdentity.OPERATOR, region, bucket, key, System.out);
      System.out.flush();
      return 0;
    }
    Path partial = file.resolveSibling(file.getFileName() + ".part");
    try (OutputStream out = Files.newOutputStream(partial)) {
      store.get().get(AwsIdentity.OPERATOR, region, bucket, key, out);
    } catch (RuntimeException e) {
      Files.deleteIfExists(partial);
      throw e;
    }
    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
    return 0;
  }
}
