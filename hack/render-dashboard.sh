#!/usr/bin/env bash
# Draws the chart's Grafana dashboard (helm/buildserver/dashboards/buildserver.json) into
# docs/dashboard.png with hack/render-dashboard.py, in the docs venv (hack/docs-venv.sh).
#   hack/render-dashboard.sh [SCRAPE_DIR] [--out FILE] [--dashboard FILE]
# SCRAPE_DIR holds /prometheus scrapes named <unix-seconds>.prom; without it the panels show their queries.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(hack/docs-venv.sh)"
exec "$python" hack/render-dashboard.py "$@"
