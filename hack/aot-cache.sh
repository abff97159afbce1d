#!/usr/bin/env bash
# Trains the AOT cache of a builder jar (JEP 483/514/515, Java 25): builder.aot next to it, which
# bin/builder hands to the JVM. Run by `make build` (operator/target/builder.jar) and by the image
# build (Dockerfile: /app/builder.jar, on the image's own JDK), always through bin/builder, so that
# the training and every later start share the flags the cache depends on (compact headers).
#
# The training run is `builder operator` against an API server that does not exist: the
# application context, the HTTP server, the Kubernetes, AWS and JSON classes load and link before
# its start fails, as intended, and the JVM writes the cache as it exits. The CLI commands load a
# subset of those classes, so the one cache serves them too (docs/benchmarks.md has the figures).
# Usage: hack/aot-cache.sh [JAR]  (java: as bin/builder chooses it; JAVA to override)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
launcher="$here/bin/builder" # in the image, /app/bin/builder beside this script
jar="$(readlink -m "${1:-$here/operator/target/builder.jar}")"
cache="${jar%.jar}.aot"
[ -f "$jar" ] || { echo "hack/aot-cache.sh: $jar not found: run make build" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -f "$cache"

cat >"$work/kubeconfig" <<'KUBECONFIG'
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
KUBECONFIG

# A clean environment: nothing from the caller's shell (a kubeconfig, BUILDSERVER_* or AWS_*
# settings) may point the training run at a real cluster or account. Bounded to 90 s; its exit
# code is the failed start's.
env -i PATH="$PATH" HOME="$work" JAVA="${JAVA:-}" JAVA_HOME="${JAVA_HOME:-}" BUILDER_JAR="$jar" \
  BUILDER_AOT=off JAVA_OPTS="-XX:AOTCacheOutput=$cache -Xlog:aot=warning:file=$work/aot.log" \
  KUBECONFIG="$work/kubeconfig" BUILDSERVER_OPERATOR_KUBECONFIG="$work/kubeconfig" \
  AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none AWS_REGION=us-east-1 \
  BUILDSERVER_AWS_ENDPOINT=http://127.0.0.1:9 MICRONAUT_SERVER_PORT=0 \
  BUILDSERVER_API_TOKEN_FILE="$work/api-token" KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT=0 \
  timeout 90 "$launcher" operator >"$work/train.log" 2>&1 || true
if [ ! -s "$cache" ]; then
  echo "hack/aot-cache.sh: the training run wrote no AOT cache (a JDK 25 or newer is needed); its log:" >&2
  tail -5 "$work/train.log" >&2
  exit 1
fi
