package dev.buildserver.upgrade;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildserver.ec2.LaunchSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * What S3 and EC2 say, never the operator: who wrote which object (moto's front records every
 * signed request), each object's ETag and last modification, its bytes, and the instances launched
 * per run (by the run-uid tag).
 */
final class CloudCounts {

  /** An object as S3 lists it: ETag and last modification. */
  record ObjectVersion(String etag, Instant lastModified) {}

  /** One signed request moto's front recorded. */
  record Request(String accessKey, String service, String method, String path, String action) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final S3Client s3;
  private final Ec2Client ec2;

  CloudCounts(S3Client s3, Ec2Client ec2) {
    this.s3 = s3;
    this.ec2 = ec2;
  }

  /** The requests of moto's front's record ({@code /_chaos/requests}) signed with this key. */
  static List<Request> requests(String recorded, String accessKey) {
    try {
      List<Request> all = JSON.readValue(recorded, new TypeReference<List<Request>>() {});
      return all.stream().filter(r -> accessKey.equals(r.accessKey())).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Object writes per key of {@code bucket}: PUT (PutObject, CopyObject, UploadPart) and POST
   * (CreateMultipartUpload, CompleteMultipartUpload) on an object's path. The front records paths
   * without their query, so these are the calls that can change an object, counted together.
   */
  static Map<String, Integer> writesByKey(List<Request> requests, String bucket) {
    Map<String, Integer> writes = new TreeMap<>();
    String prefix = "/" + bucket + "/";
    for (Request r : requests) {
      if ("s3".equals(r.service())
          && ("PUT".equals(r.method()) || "POST".equals(r.method()))
          && r.path() != null
          && r.path().startsWith(prefix)
          && r.path().length() > prefix.length()) {
        writes.merge(r.path().substring(prefix.length()), 1, Integer::sum);
      }
    }
    return writes;
  }

  /** Requests by service and method (or EC2 action), for the summary. */
  static Map<String, Integer> requestsByKind(List<Request> requests) {
    Map<String, Integer> kinds = new TreeMap<>();
    for (Request r : requests) {
      String kind = r.service() + " " + (r.action() != null ? r.action() : r.method());
      kinds.merge(kind, 1, Integer::sum);
    }
    return kinds;
  }

  /** Every object under {@code prefix} of {@code bucket} with its ETag and last modification. */
  Map<String, ObjectVersion> objects(String bucket, String prefix) {
    Map<String, ObjectVersion> objects = new TreeMap<>();
    s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
        .contents()
        .forEach(o -> objects.put(o.key(), new ObjectVersion(o.eTag(), o.lastModified())));
    return objects;
  }

  /** The object's bytes, or empty when there is none. */
  Optional<byte[]> read(String bucket, String key) {
    try {
      return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  /** Whether the object holds exactly these bytes. */
  boolean holds(String bucket, String key, byte[] expected) {
    return read(bucket, key).map(actual -> Arrays.equals(actual, expected)).orElse(false);
  }

  /** Every instance launched for a run, by the run's uid (its run-uid tag), terminated included. */
  Map<String, List<Instance>> instancesByRun() {
    Map<String, List<Instance>> byRun = new TreeMap<>();
    ec2.describeInstancesPaginator(
            b -> b.filters(f -> f.name("tag-key").values(LaunchSpec.OWNER_UID_TAG)))
        .reservations()
        .forEach(
            r ->
                r.instances()
                    .forEach(
                        i ->
                            i.tags().stream()
                                .filter(t -> LaunchSpec.OWNER_UID_TAG.equals(t.key()))
                                .findFirst()
                                .ifPresent(
                                    t ->
                                        byRun
                                            .computeIfAbsent(t.value(), v -> new ArrayList<>())
                                            .add(i))));
    return byRun;
  }

  /** Runs (by uid) with more than one instance: each is a second launch. */
  static List<String> secondInstances(Map<String, List<Instance>> byRun) {
    return byRun.entrySet().stream()
        .filter(e -> e.getValue().size() > 1)
        .map(e -> e.getKey() + " has " + e.getValue().size() + " instances")
        .toList();
  }

  /** Instances neither terminated nor shutting down. */
  static long live(Map<String, List<Instance>> byRun) {
    return byRun.values().stream()
        .flatMap(List::stream)
        .map(i -> i.state().nameAsString())
        .filter(s -> !s.equals("terminated") && !s.equals("shutting-down"))
        .count();
  }
}
