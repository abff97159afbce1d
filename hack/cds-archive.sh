#!/usr/bin/env bash
# Records a class-data archive for the jar (operator/target/builder.jsa): the classes the operator
# and the CLI load, pre-parsed, so bin/builder starts about twice as fast (docs/benchmarks.md).
# Two training runs list the classes they load, and the JVM archives the union:
#   - `builder operator` against an API server that does not exist: the application context, the
#     HTTP server, the Kubernetes, AWS and JSON classes load before its start fails, as intended;
#   - `builder balance` against a port where nothing listens (the CLI's HTTP client).
# bin/builder passes the archive to the JVM, which ignores one that does not fit it.
set -euo pipefail
cd "$(dirname "$0")/.."
jar="$PWD/operator/target/builder.jar"
archive="$PWD/operator/target/builder.jsa"
[ -f "$jar" ] || { echo "hack/cds-archive.sh: $jar not found: run make build" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -f "$archive"

cat >"$work/kubeconfig" <<'KUBECONFIG'
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
KUBECONFIG

train() { # classlist, arguments...: one run, bounded to 60 s; its failure is expected
  local list="$1"
  shift
  # A clean environment: nothing from the caller's shell (a kubeconfig, BUILDSERVER_* or AWS_*
  # settings) may point the training run at a real cluster or account.
  env -i PATH="$PATH" HOME="$work" JAVA_HOME="${JAVA_HOME:-}" \
    KUBECONFIG="$work/kubeconfig" BUILDSERVER_OPERATOR_KUBECONFIG="$work/kubeconfig" \
    AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none AWS_REGION=us-east-1 \
    BUILDSERVER_AWS_ENDPOINT=http://127.0.0.1:9 MICRONAUT_SERVER_PORT=0 \
    KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT=0 \
    timeout 60 java -XX:DumpLoadedClassList="$list" -XX:TieredStopAtLevel=1 -jar "$jar" "$@" \
    >"$work/train.log" 2>&1 || true
  [ -s "$list" ] || { echo "hack/cds-archive.sh: the training run '$*' listed no classes" >&2; exit 1; }
}
train "$work/operator.classlist" operator
train "$work/balance.classlist" balance --url 'http://127.0.0.1:9/{page}.json'

cat "$work/operator.classlist" "$work/balance.classlist" | awk '!seen[$0]++' >"$work/all.classlist"
java -Xshare:dump -XX:SharedClassListFile="$work/all.classlist" -XX:SharedArchiveFile="$archive" \
  -cp "$jar" >"$work/dump.log" 2>&1 || { tail -5 "$work/dump.log" >&2; exit 1; }
[ -f "$archive" ] || { echo "hack/cds-archive.sh: the JVM wrote no archive" >&2; exit 1; }
