#!/usr/bin/env bash
# Puts kube-apiserver, etcd and kubectl of one pinned Kubernetes version into the kube-api-test layout:
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl}
# A cached copy is reused as is. Otherwise the binaries are built from the Go module proxy (the
# official download site is not reachable everywhere). Prints the directory on success.
set -euo pipefail
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"

ROOT="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
DEST="$ROOT/k8s/${K8S_VERSION}-linux-amd64"

die() { echo "hack/kube-binaries.sh: $*" >&2; exit 1; }

have_all() {
  [ -x "$DEST/kube-apiserver" ] && [ -x "$DEST/etcd" ] && [ -x "$DEST/kubectl" ]
}

if have_all; then
  echo "$DEST"
  exit 0
fi

command -v go >/dev/null 2>&1 \
  || die "Go is needed to build kube-apiserver/etcd/kubectl v$K8S_VERSION (install Go >= 1.24), or place them in $DEST"

minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
work="$ROOT/build/$K8S_VERSION"
mkdir -p "$work/kube" "$work/etcd" "$DEST"
export GOFLAGS="-mod=mod" CGO_ENABLED=0 GOTOOLCHAIN=local
log="$work/build.log"
: >"$log"
echo "hack/kube-binaries.sh: building Kubernetes v$K8S_VERSION and etcd v$ETCD_VERSION from the Go module proxy (first time only, a few minutes); log: $log" >&2

# --- kube-apiserver and kubectl: a module that requires k8s.io/kubernetes and maps every staging module.
(
  cd "$work/kube"
  modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$modfile" ] || die "could not download k8s.io/kubernetes@v$K8S_VERSION from the Go module proxy"
  {
    echo "module buildserver.dev/kubebinaries"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$modfile" \
      | awk -v v="v0.$minor.${K8S_VERSION##*.}" '{print "replace " $1 " => " $1 " " v}'
  } >go.mod
  cat >tools.go <<'GO'
//go:build tools

package kubebinaries

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy >>"$log" 2>&1 || die "go mod tidy failed for Kubernetes v$K8S_VERSION; see $log"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  go build -trimpath -ldflags "$ldflags" -o "$DEST/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >>"$log" 2>&1 \
    || die "building kube-apiserver failed; see $log"
  go build -trimpath -ldflags "$ldflags" -o "$DEST/kubectl" k8s.io/kubernetes/cmd/kubectl >>"$log" 2>&1 \
    || die "building kubectl failed; see $log"
)

# --- etcd: a small main around etcdmain.Main, in a module of its own (its dependency set differs).
(
  cd "$work/etcd"
  cat >go.mod <<MOD
module buildserver.dev/etcd

go 1.24

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
MOD
  cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go mod tidy >>"$log" 2>&1 || die "go mod tidy failed for etcd v$ETCD_VERSION; see $log"
  go build -trimpath -ldflags "-s -w" -o "$DEST/etcd" . >>"$log" 2>&1 || die "building etcd failed; see $log"
)

have_all || die "binaries missing in $DEST after the build; see $log"
echo "$DEST"
