# The builder image: the jar, its launcher (bin/builder) and an AOT cache trained during the build,
# by the image's own JDK, so that the cache fits the JVM that runs it (an AOT cache must be made
# by the same JDK build). Build the jar first: make build, then make image (or docker build .).
ARG BASE=eclipse-temurin:25-jre
FROM ${BASE}
COPY bin/builder hack/aot-cache.sh /app/bin/
COPY operator/target/builder.jar /app/builder.jar
# The training run starts the operator against an API server that does not exist (no network is
# needed) and writes /app/builder.aot as it exits; bin/builder uses it from then on.
RUN chmod 0755 /app/bin/builder /app/bin/aot-cache.sh \
 && chmod 0644 /app/builder.jar \
 && /app/bin/aot-cache.sh /app/builder.jar \
 && chmod 0644 /app/builder.aot \
 && rm /app/bin/aot-cache.sh
ENV BUILDER_JAR=/app/builder.jar
USER 65532:65532
EXPOSE 8080
LABEL org.opencontainers.image.source="https://github.com/buildserver-dev/buildserver"
ENTRYPOINT ["/app/bin/builder"]
CMD ["operator"]
