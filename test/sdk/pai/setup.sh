#!/usr/bin/env bash
# Installs the PAI Python SDK (alipai, with requirements.txt pinned, from PyPI)
# into a venv of its own outside the repository (alipai needs numpy<2, the
# eas-prediction venv of test/sdk/python has numpy 2):
#   ${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/sdk/pai
# Idempotent: when the venv already holds exactly requirements.txt (a stamp with
# its hash and the interpreter's version), it checks the imports and stops,
# without touching the network. PYTHON picks the interpreter (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}"
venv="$cache/sdk/pai"
req="$here/requirements.txt"
stamp="$venv/.pier-requirements"
python="${PYTHON:-python3}"

fail() {
  echo "sdk/pai setup: $*" >&2
  exit 1
}
step() { echo "sdk/pai setup: $*"; }

command -v "$python" >/dev/null || fail "no $python on PATH; install Python 3.9 or later (apt-get install python3 python3-venv)"
pyver="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" ||
  fail "$python does not run"
want="$(sha256sum "$req" | cut -d' ' -f1) python $pyver"

check_imports() {
  "$venv/bin/python" -W ignore -c '
from pai.predictor import AsyncPredictor, Predictor
from pai.session import setup_default_session
from pai.libs.alibabacloud_eas20210701.client import Client
from alibabacloud_tea_openapi.models import Config
' 2>&1
}

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  # The full import check costs seconds (pai imports numpy, pyodps…); a warm run only proves the venv runs.
  "$venv/bin/python" -c 'import alibabacloud_tea_openapi' 2>/dev/null ||
    fail "the venv at $venv is broken; delete it (rm -rf $venv) and run this again"
  step "venv $venv is up to date (python $pyver, requirements $(cut -c1-12 <<<"$want"))"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' 2>/dev/null ||
  [[ "$("$venv/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" != "$pyver" ]]; then
  step "creating venv $venv with $python $pyver"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" || fail "python3 -m venv failed; on Debian install python3-venv"
fi

step "installing $(grep -c '==' "$req") pinned packages from requirements.txt (pip)"
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" ||
  fail "pip install -r $req failed (see above); PyPI must be reachable for a cold setup"

step "checking imports (pai.predictor, pai.session, the EAS OpenAPI client)"
out="$(check_imports)" || fail "installed, but the imports fail: $out"

echo "$want" >"$stamp"
step "ready: $venv/bin/python"
