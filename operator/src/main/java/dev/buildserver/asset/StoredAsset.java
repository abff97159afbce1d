package dev.buildserver.asset;

/**
 * An object as written: the JSON answer of {@code builder put-asset} and of {@code POST
 * /buildserver/put-asset}, whose field names match the BuildAsset status.
 */
public record StoredAsset(
    String bucket,
    String key,
    String location,
    String etag,
    String versionId,
    long size,
    String sha256,
    String contentType) {}
