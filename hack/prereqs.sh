#!/usr/bin/env bash
# Checks the tools `make run` and `make test` need, and says in one line what to install.
set -euo pipefail
die() { echo "missing prerequisite: $*" >&2; exit 1; }

# make passes the JDK it chose (hack/jdk.sh) as JAVA_HOME; run alone, this looks for one itself.
jdk="${JAVA_HOME:-}"
[ -n "$jdk" ] || jdk="$("$(dirname "$0")/jdk.sh")" || exit 1
[ -x "$jdk/bin/java" ] || die "a JDK at $jdk (JAVA_HOME): it has no bin/java"
java_major=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')
[ "${java_major:-0}" -ge 17 ] || die "JDK 17 or newer (found Java ${java_major:-unknown} at $jdk)"
command -v mvn >/dev/null 2>&1 || die "Maven 3.8+ (mvn) - e.g. apt-get install maven"
command -v python3 >/dev/null 2>&1 || die "Python 3 with venv for the AWS emulator - e.g. apt-get install python3 python3-venv"
. "$(dirname "$0")/versions.env"
bin="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-amd64"
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/etcd" ] || [ ! -x "$bin/kubectl" ]; then
  command -v go >/dev/null 2>&1 \
    || die "Go 1.24+ to build kube-apiserver/etcd/kubectl v$K8S_VERSION once (or put them in $bin)"
fi
