#!/usr/bin/env bash
# Creates the LocalStack venv (.venv-localstack): localstack-core[runtime] of the pinned version, run as
# a host process (python -m localstack.runtime.main), so no Docker is needed. LocalStack needs Python
# >= 3.12: $LOCALSTACK_PYTHON through pyenv, or LOCALSTACK_PYTHON_BIN. Its dependencies are resolved as
# of LOCALSTACK_RESOLVED_AT by uv (later cbor2, pyOpenSSL and cryptography releases break it). Reused as
# is when the pinned version is already installed; prints the venv's python.
set -euo pipefail
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${LOCALSTACK_VENV:-$ROOT/.venv-localstack}"
STAMP="$LOCALSTACK_VERSION@$LOCALSTACK_RESOLVED_AT"

die() { echo "hack/localstack-venv.sh: $*" >&2; exit 1; }

if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.localstack-version" 2>/dev/null)" = "$STAMP" ]; then
  echo "$VENV/bin/python"
  exit 0
fi
python="${LOCALSTACK_PYTHON_BIN:-}"
if [ -z "$python" ] && command -v pyenv >/dev/null 2>&1; then
  python=$(PYENV_VERSION="$LOCALSTACK_PYTHON" pyenv which python 2>/dev/null || true)
fi
if [ -z "$python" ]; then
  for candidate in python3.13 python3.12; do
    python=$(command -v "$candidate" || true)
    [ -n "$python" ] && break
  done
fi
[ -n "$python" ] || die "LocalStack $LOCALSTACK_VERSION needs Python >= 3.12: pyenv install $LOCALSTACK_PYTHON, or set LOCALSTACK_PYTHON_BIN"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
  || die "$python is older than 3.12, which LocalStack $LOCALSTACK_VERSION needs"
rm -rf "$VENV"
"$python" -m venv "$VENV" || die "could not create $VENV with $python"
echo "hack/localstack-venv.sh: installing localstack-core[runtime]==$LOCALSTACK_VERSION as of $LOCALSTACK_RESOLVED_AT into $VENV" >&2
"$VENV/bin/pip" install --quiet "uv==$UV_VERSION" || die "pip could not install uv==$UV_VERSION (is PyPI reachable?)"
VIRTUAL_ENV="$VENV" "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" \
  --exclude-newer "$LOCALSTACK_RESOLVED_AT" "localstack-core[runtime]==$LOCALSTACK_VERSION" \
  || die "uv could not install localstack-core[runtime]==$LOCALSTACK_VERSION resolved as of $LOCALSTACK_RESOLVED_AT"
echo "$STAMP" >"$VENV/.localstack-version"
echo "$VENV/bin/python"
