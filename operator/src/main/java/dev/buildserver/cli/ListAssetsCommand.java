package dev.buildserver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.status.Echo;
import io.micronaut.context.BeanProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code builder list-assets}: one line (or JSON entry) per object. */
@Command(
    name = "list-assets",
    mixinStandardHelpOptions = true,
    description = "List the objects of a bucket.")
public class ListAssetsCommand implements Callable<Integer> {

  @Option(names = "--bucket", required = true, description = "Bucket.")
  String bucket;

  @Option(names = "--prefix", description = "Only keys starting with this.")
  String prefix;

  @Option(names = "--region", description = "Bucket region (default: AWS_REGION).")
  String region;

  @Option(
      names = "--output",
      defaultValue = "table",
      description = "table or json (default table).")
  String output;

  @Inject BeanProvider<ObjectStore> store;
  @Inject ObjectMapper json;

  @Override
  public Integer call() throws IOException {
    var objects = store.get().list(AwsIdentity.OPERATOR, region, bucket, prefix, Integer.MAX_VALUE);
    if ("json".equals(output)) {
      System.out.println(json.writeValueAsString(objects));
      return 0;
    }
    System.out.printf("%-60s %12s  %-34s  %s%n", "KEY", "SIZE", "ETAG", "LAST MODIFIED");
    for (var o : objects) {
      // A key may hold anything, terminal escape sequences included: shown escaped.
      System.out.printf(
          "%-60s %12d  %-34s  %s%n",
          Echo.escaped(o.key()), o.size(), Echo.escaped(o.etag()), o.lastModified());
    }
    return 0;
  }
}
