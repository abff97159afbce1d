package dev.buildserver.asset;

import dev.buildserver.api.ApiSettings;
import dev.buildserver.aws.AwsIdentity;
import dev.buildserver.aws.WorkloadIdentities;
import dev.buildserver.s3.ObjectContent;
import dev.buildserver.s3.ObjectKeys;
import dev.buildserver.s3.ObjectStore;
import dev.buildserver.s3.ObjectWrite;
import dev.buildserver.s3.OwnedObjects;
import dev.buildserver.s3.StoredObject;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Error;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.exceptions.ContentLengthExceededException;
import io.micronaut.http.server.HttpServerConfiguration;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code POST /buildserver/put-asset} and {@code GET /buildserver/assets}, over ObjectStore. */
@Controller("/buildserver")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AssetController {

  private final ObjectStore store;
  private final OwnedObjects owned;
  private final WorkloadIdentities identities;
  private final ApiSettings settings;
  private final long maxRequestSize;

  public AssetController(
      ObjectStore store,
      OwnedObjects owned,
      WorkloadIdentities identities,
      ApiSettings settings,
      HttpServerConfiguration server) {
    this.store = store;
    this.owned = owned;
    this.identities = identities;
    this.settings = settings;
    this.maxRequestSize = server.getMaxRequestSize();
  }

  /** The identity the API's AWS calls are made as (buildserver.api.service-account). */
  private AwsIdentity identity() {
    return identities.forCaller(settings.getServiceAccount(), "buildserver.api.service-account");
  }

  /**
   * Writes the request body to bucket/key; answers 201 with the put-asset JSON, or 409 when a
   * resource owns the object there (unless {@code overwrite=true}) or it changed during the write.
   */
  @Post(uri = "/put-asset", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
  public HttpResponse<StoredObject> put(
      @Nullable @QueryValue String bucket,
      @Nullable @QueryValue String key,
      @Nullable @QueryValue String contentType,
      @Nullable @QueryValue Boolean createBucket,
      @Nullable @QueryValue String sha256,
      @Nullable @QueryValue String region,
      @Nullable @QueryValue Boolean overwrite,
      HttpRequest<?> request,
      @Body InputStream body) {
    if (request.getContentLength() > maxRequestSize) {
      throw new ContentLengthExceededException(maxRequestSize, request.getContentLength());
    }
    ObjectKeys.check(bucket, key);
    String type =
        contentType != null
            ? contentType
            : request
                .getContentType()
                .map(MediaType::toString)
                .filter(t -> !t.startsWith(MediaType.APPLICATION_FORM_URLENCODED))
                .orElse(null);
    ObjectWrite write =
        new ObjectWrite(
            bucket,
            key,
            region,
            type,
            Map.of(),
            Map.of(),
            sha256,
            Boolean.TRUE.equals(createBucket));
    StoredObject stored =
        owned.writeUnowned(
            write.as(identity()),
            new ObjectContent.Stream(() -> new ObjectContent.Opened(body, Optional.empty())),
            Boolean.TRUE.equals(overwrite));
    return HttpResponse.created(stored);
  }

  /** Lists the objects of a bucket: at most {@code limit} (default 1000, at most 10000). */
  @Get(uri = "/assets", produces = MediaType.APPLICATION_JSON)
  public List<ObjectStore.Listed> list(
      @Nullable @QueryValue String bucket,
      @Nullable @QueryValue String prefix,
      @Nullable @QueryValue String region,
      @Nullable @QueryValue Integer limit) {
    if (bucket == null || bucket.isBlank()) {
      throw new Problem(Reason.InvalidBucketName, "the query parameter bucket is required", false);
    }
    int max = limit == null ? 1000 : limit;
    if (max < 1 || max > 10_000) {
      throw new Problem(Reason.InvalidLimit, "limit must be between 1 and 10000", false);
    }
    return store.list(identity(), region, bucket, prefix, max);
  }

  /** A body over micronaut.server.max-request-size, as the JSON error of the contract. */
  @Error(exception = ContentLengthExceededException.class, global = true)
  public HttpResponse<Map<String, String>> tooLarge(ContentLengthExceededException e) {
    // The unread rest of the body would be taken for the next request: close the connection.
    return HttpResponse.<Map<String, String>>status(HttpStatus.REQUEST_ENTITY_TOO_LARGE)
        .header(HttpHeaders.CONNECTION, "close")
        .body(Map.of("error", e.getMessage(), "reason", "TooLarge"));
  }

  /** Every Problem becomes a JSON error with a status that says whose fault it is. */
  @Error(exception = Problem.class)
  public HttpResponse<Map<String, String>> problem(Problem problem) {
    for (Throwable cause = problem.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof ContentLengthExceededException tooLong) {
        return tooLarge(tooLong); // the body grew past the limit while it was streamed
      }
    }
    HttpStatus status =
        switch (problem.kind()) {
          case BucketNotFound, NotFound, SourceNotFound -> HttpStatus.NOT_FOUND;
          case Conflict -> HttpStatus.CONFLICT;
          case TooLarge -> HttpStatus.REQUEST_ENTITY_TOO_LARGE;
          case IdentityNotFound -> HttpStatus.FORBIDDEN;
          case AccessDenied, S3Error, UntrustedCertificate, InvalidCaBundle ->
              HttpStatus.BAD_GATEWAY;
          case S3Unavailable, S3Unreachable -> HttpStatus.SERVICE_UNAVAILABLE;
          default -> HttpStatus.BAD_REQUEST;
        };
    return HttpResponse.<Map<String, String>>status(status)
        .body(
            Map.of("error", problem.messageFor(Setting.Audience.HTTP), "reason", problem.reason()));
  }
}
