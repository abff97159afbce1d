#!/usr/bin/env bash
# Draws the chart's Grafana dashboard (helm/buildserver/dashboards/buildserver.json) into
# docs/dashboard.png with hack/render-dashboard.py, in a venv (.venv-docs) with pinned matplotlib.
#   hack/render-dashboard.sh [SCRAPE_DIR] [--out FILE] [--dashboard FILE]
# SCRAPE_DIR holds /prometheus scrapes named <unix-seconds>.prom; without it the panels show their queries.
set -euo pipefail
MATPLOTLIB_VERSION=3.11.2
root="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$root/.venv-docs}"

die() { echo "hack/render-dashboard.sh: $*" >&2; exit 1; }

if [ "$(cat "$VENV/.matplotlib-version" 2>/dev/null)" != "$MATPLOTLIB_VERSION" ]; then
  PYTHON="${PYTHON:-$(command -v python3 || true)}"
  [ -n "$PYTHON" ] || die "Python 3 is needed: install python3 (with the venv module)"
  "$PYTHON" -m venv "$VENV" 2>/dev/null || die "could not create $VENV: install the Python venv module"
  echo "hack/render-dashboard.sh: installing matplotlib==$MATPLOTLIB_VERSION into $VENV" >&2
  "$VENV/bin/pip" install --quiet "matplotlib==$MATPLOTLIB_VERSION" \
    || die "pip could not install matplotlib==$MATPLOTLIB_VERSION (is PyPI reachable?)"
  echo "$MATPLOTLIB_VERSION" >"$VENV/.matplotlib-version"
fi
cd "$root"
exec "$VENV/bin/python" hack/render-dashboard.py "$@"
