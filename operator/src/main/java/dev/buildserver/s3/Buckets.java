package dev.buildserver.s3;

import dev.buildserver.aws.AwsClients;
import dev.buildserver.status.Problem;
import dev.buildserver.status.Reason;
import dev.buildserver.status.Setting;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Runs the first write to a bucket, creating the bucket when it is missing and allowed. */
final class Buckets {

  private final AwsClients aws;

  Buckets(AwsClients aws) {
    this.aws = aws;
  }

  <T> T withBucket(ObjectWrite write, String action, Supplier<T> operation) {
    try {
      return operation.get();
    } catch (S3Exception e) {
      if (!"NoSuchBucket".equals(S3Errors.code(e)) && !(e.statusCode() == 403 && missing(write))) {
        throw S3Errors.problem(e, action, write.location(), write.identity());
      }
      if (!write.createBucket()) {
        throw new Problem(
            Reason.BucketNotFound,
            "bucket "
                + write.bucket()
                + " does not exist in "
                + region(write.region())
                + ": create it, or set "
                + Setting.CREATE_BUCKET.mention(),
            false,
            e);
      }
      create(write);
      try {
        return operation.get();
      } catch (S3Exception again) {
        throw S3Errors.problem(again, action, write.location(), write.identity());
      }
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
  }

  /**
   * Whether the bucket is missing, asked after a write was denied: SeaweedFS answers a write to a
   * missing bucket with 403 AccessDenied (it would create the bucket, and that needs its admin
   * right) where S3 answers 404 NoSuchBucket.
   */
  private boolean missing(ObjectWrite write) {
    try {
      aws.s3(write.identity(), region(write.region())).headBucket(b -> b.bucket(write.bucket()));
      return false;
    } catch (S3Exception e) {
      return e.statusCode() == 404;
    } catch (SdkClientException e) {
      return false;
    }
  }

  private void create(ObjectWrite write) {
    String region = region(write.region());
    try {
      aws.s3(write.identity(), region)
          .createBucket(
              b -> {
                b.bucket(write.bucket());
                if (!"us-east-1".equals(region)) {
                  b.createBucketConfiguration(c -> c.locationConstraint(region));
                }
              });
    } catch (BucketAlreadyOwnedByYouException e) {
      // created meanwhile: fine
    } catch (S3Exception e) {
      throw S3Errors.problem(e, "CreateBucket", "s3://" + write.bucket(), write.identity());
    } catch (SdkClientException e) {
      throw S3Errors.unreachable(e);
    }
  }

  private String region(String region) {
    return region == null || region.isBlank() ? aws.defaultRegion() : region;
  }
}
