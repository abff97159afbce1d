#!/usr/bin/env bash
# Makes (once) the venv that draws the docs' pictures, .venv-docs with pinned matplotlib, and prints
# its python. Used by hack/render-dashboard.sh and hack/bench-report.sh.
set -euo pipefail
MATPLOTLIB_VERSION=3.11.2
root="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$root/.venv-docs}"
die() { echo "hack/docs-venv.sh: $*" >&2; exit 1; }
if [ "$(cat "$VENV/.matplotlib-version" 2>/dev/null)" != "$MATPLOTLIB_VERSION" ]; then
  PYTHON="${PYTHON:-$(command -v python3 || true)}"
  [ -n "$PYTHON" ] || die "Python 3 is needed: install python3 (with the venv module)"
  "$PYTHON" -m venv "$VENV" 2>/dev/null || die "could not create $VENV: install the Python venv module"
  echo "hack/docs-venv.sh: installing matplotlib==$MATPLOTLIB_VERSION into $VENV" >&2
  "$VENV/bin/pip" install --quiet "matplotlib==$MATPLOTLIB_VERSION" \
    || die "pip could not install matplotlib==$MATPLOTLIB_VERSION (is PyPI reachable?)"
  echo "$MATPLOTLIB_VERSION" >"$VENV/.matplotlib-version"
fi
echo "$VENV/bin/python"
