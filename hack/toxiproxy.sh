#!/usr/bin/env bash
# Puts toxiproxy-server of the pinned version in ${BUILDSERVER_TOOLS:-~/.cache/buildserver}/toxiproxy-<v>/
# and prints its path. A cached copy is reused as is; otherwise it is built from the Go module proxy
# (about 30 s the first time). The chaos suite puts it between the operator and moto and the ledgers.
set -euo pipefail
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"

DEST="${BUILDSERVER_TOOLS:-$HOME/.cache/buildserver}/toxiproxy-$TOXIPROXY_VERSION"
BINARY="$DEST/toxiproxy-server"

die() { echo "hack/toxiproxy.sh: $*" >&2; exit 1; }

if [ -x "$BINARY" ]; then
  echo "$BINARY"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build toxiproxy v$TOXIPROXY_VERSION (install Go >= 1.22)"
mkdir -p "$DEST"
log="$DEST/build.log"
echo "hack/toxiproxy.sh: building toxiproxy v$TOXIPROXY_VERSION from the Go module proxy (first time only); log: $log" >&2
GOBIN="$DEST/bin" GOFLAGS="-mod=mod" CGO_ENABLED=0 GOTOOLCHAIN=local \
  go install "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" >"$log" 2>&1 \
  || die "go install github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION failed; see $log"
mv "$DEST/bin/server" "$BINARY"
rmdir "$DEST/bin"
echo "$BINARY"
