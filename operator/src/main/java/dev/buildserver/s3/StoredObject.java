package dev.buildserver.s3;

/**
 * An object as written: the JSON answer of {@code builder put-asset} and of {@code POST
 * /buildserver/put-asset}, whose field names match the BuildAsset status.
 */
public record StoredObject(
    String bucket,
    String key,
    String location,
    String etag,
    String versionId,
    long size,
    String sha256,
    String contentType) {}
