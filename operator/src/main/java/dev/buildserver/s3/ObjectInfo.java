package dev.buildserver.s3;

import java.time.Instant;
import java.util.Map;

/** What a HEAD of an S3 object says about it. */
public record ObjectInfo(
    String etag,
    String versionId,
    long size,
    String contentType,
    Instant lastModified,
    Map<String, String> metadata) {}
