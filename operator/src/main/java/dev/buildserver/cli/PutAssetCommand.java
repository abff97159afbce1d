package dev.buildserver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.Main.CliException;
import dev.buildserver.asset.AssetContent;
import dev.buildserver.asset.UrlSource;
import dev.buildserver.s3.ObjectKeys;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.s3.StoredObject;
import dev.buildserver.status.Echo;
import io.micronaut.context.BeanProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code builder put-asset}: writes a file, a URL's body or stdin to S3 and prints the result. */
@Command(
    name = "put-asset",
    mixinStandardHelpOptions = true,
    description =
        "Put an artifact into S3 and print {bucket, key, location, etag, versionId, size, sha256, contentType} as JSON.")
public class PutAssetCommand implements Callable<Integer> {

  @Option(names = "--bucket", required = true, description = "Target bucket.")
  String bucket;

  @Option(names = "--key", required = true, description = "Target object key.")
  String key;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static class Source {
    @Option(names = "--file", description = "Upload this file.")
    Path file;

    @Option(names = "--url", description = "Download this http(s) URL and stream it to S3.")
    String url;

    @Option(names = "--stdin", description = "Upload standard input.")
    boolean stdin;
  }

  @Option(names = "--content-type", description = "Content-Type stored with the object.")
  String contentType;

  @Option(names = "--create-bucket", description = "Create the bucket when it does not exist.")
  boolean createBucket;

  @Option(
      names = "--sha256",
      description = "Expected SHA-256 (hex); mismatching content is not uploaded.")
  String sha256;

  @Option(names = "--region", description = "Bucket region (default: AWS_REGION).")
  String region;

  @Option(
      names = "--output",
      defaultValue = "json",
      description = "json (the only format; the default).")
  String output;

  @Inject BeanProvider<ObjectStore> store;
  @Inject BeanProvider<UrlSource> urls;
  @Inject ObjectMapper json;

  @Override
  public Integer call() throws IOException {
    if (!"json".equals(output)) {
      throw new CliException("--output must be json, not '" + Echo.value(output) + "'", 2);
    }
    ObjectKeys.check(bucket, key);
    AssetContent content;
    if (source.file != null) {
      if (!Files.isReadable(source.file)) {
        throw new CliException("cannot read " + Echo.value(source.file.toString()), 2);
      }
      content = new AssetContent.Stream(() -> open(source.file));
    } else if (source.url != null) {
      content = new AssetContent.Url(source.url);
    } else {
      content = new AssetContent.Stream(() -> System.in);
    }
    ObjectWrite write =
        new ObjectWrite(
            bucket,
            key,
            region,
            contentType,
            Map.of(),
            Map.of(),
            sha256 == null ? null : sha256.toLowerCase(Locale.ROOT),
            createBucket);
    StoredObject stored = store.get().put(write, content.toObjectContent(urls.get()));
    System.out.println(json.writeValueAsString(stored));
    return 0;
  }

  private static InputStream open(Path file) {
    try {
      return Files.newInputStream(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
