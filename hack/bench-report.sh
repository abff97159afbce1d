#!/usr/bin/env bash
# Writes docs/benchmarks.md and docs/benchmarks.png from the results of `make bench`
# (operator/target/bench/), in the docs venv (hack/docs-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(hack/docs-venv.sh)"
exec "$python" hack/bench-report.py
