#!/usr/bin/env bash
# Creates the project-local Python venv (.venv) with the pinned AWS emulator, moto server.
# Reused as is when the pinned version is already installed.
set -euo pipefail
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"
VENV="${VENV:-$(cd "$(dirname "$0")/.." && pwd)/.venv}"

die() { echo "hack/python-venv.sh: $*" >&2; exit 1; }

if [ -x "$VENV/bin/moto_server" ] && [ "$(cat "$VENV/.moto-version" 2>/dev/null)" = "$MOTO_VERSION" ]; then
  exit 0
fi
PYTHON="${PYTHON:-$(command -v python3 || true)}"
[ -n "$PYTHON" ] || die "Python 3 is needed for the AWS emulator (moto): install python3 (with the venv module)"
"$PYTHON" -m venv "$VENV" 2>/dev/null || die "could not create $VENV: install the Python venv module (e.g. apt-get install python3-venv)"
echo "hack/python-venv.sh: installing moto[server]==$MOTO_VERSION into $VENV" >&2
"$VENV/bin/pip" install --quiet "moto[server]==$MOTO_VERSION" \
  || die "pip could not install moto[server]==$MOTO_VERSION (is PyPI reachable?)"
echo "$MOTO_VERSION" >"$VENV/.moto-version"
