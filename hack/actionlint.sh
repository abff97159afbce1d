#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built once from the Go module proxy into .tools/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.7.12
BIN=".tools/bin/actionlint-$VERSION"
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null 2>&1 || { echo "hack/actionlint.sh: Go is needed to build actionlint (install Go >= 1.24)" >&2; exit 1; }
  mkdir -p .tools/bin
  GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@v$VERSION" >&2 \
    || { echo "hack/actionlint.sh: could not build actionlint v$VERSION from the Go module proxy" >&2; exit 1; }
  mv .tools/bin/actionlint "$BIN"
fi
"$BIN" -shellcheck= .github/workflows/*.yml
