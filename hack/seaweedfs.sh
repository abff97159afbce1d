#!/usr/bin/env bash
# Puts the SeaweedFS server binary (weed) of the pinned version in
# ${BUILDSERVER_TOOLS:-~/.cache/buildserver}/seaweedfs-<v>/weed and prints its path. A cached copy is
# reused as is; otherwise it is built from the Go module proxy (about 5 minutes on 2 cores, first time
# only). `go install` is refused for this module (its go.mod has replace directives), so the module is
# downloaded, copied somewhere writable and built there.
set -euo pipefail
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"

DEST="${BUILDSERVER_TOOLS:-$HOME/.cache/buildserver}/seaweedfs-$SEAWEEDFS_VERSION"
BINARY="$DEST/weed"

die() { echo "hack/seaweedfs.sh: $*" >&2; exit 1; }

if [ -x "$BINARY" ]; then
  echo "$BINARY"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build SeaweedFS $SEAWEEDFS_VERSION (install Go >= 1.24)"
mkdir -p "$DEST"
log="$DEST/build.log"
echo "hack/seaweedfs.sh: building SeaweedFS $SEAWEEDFS_VERSION from the Go module proxy (first time only, ~5 min); log: $log" >&2
module_dir=$(cd "$DEST" && GOFLAGS=-mod=mod GOTOOLCHAIN=local \
  go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" 2>>"$log" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') \
  || die "go mod download github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION failed; see $log"
[ -n "$module_dir" ] && [ -d "$module_dir" ] || die "the Go module proxy gave no source for SeaweedFS $SEAWEEDFS_VERSION; see $log"
src=$(mktemp -d "$DEST/src.XXXXXX")
trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
cp -r "$module_dir/." "$src/"
chmod -R u+w "$src"
(cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -o "$BINARY.tmp" ./weed) >>"$log" 2>&1 \
  || die "go build ./weed failed; see $log"
mv "$BINARY.tmp" "$BINARY"
echo "$BINARY"
