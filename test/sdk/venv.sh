#!/usr/bin/env bash
# Builds a Python venv for an SDK test folder, outside the repository:
#   bash test/sdk/venv.sh NAME REQUIREMENTS QUICK_MODULE FULL_IMPORT_CHECK
# makes ${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/sdk/NAME from the
# pinned REQUIREMENTS (PyPI). Idempotent: when the venv already holds exactly
# REQUIREMENTS (a stamp with its hash and the interpreter's version), it only
# imports QUICK_MODULE and stops, without touching the network; after an install
# it runs FULL_IMPORT_CHECK (Python source). PYTHON picks the interpreter
# (default python3).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: venv.sh NAME REQUIREMENTS QUICK_MODULE FULL_IMPORT_CHECK" >&2; exit 2; }
name="$1" req="$2" quick="$3" full="$4"

cache="${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}"
venv="$cache/sdk/$name"
stamp="$venv/.pier-requirements"
python="${PYTHON:-python3}"

fail() {
  echo "sdk/$name setup: $*" >&2
  exit 1
}
step() { echo "sdk/$name setup: $*"; }

command -v "$python" >/dev/null || fail "no $python on PATH; install Python 3.9 or later (apt-get install python3 python3-venv)"
pyver="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" ||
  fail "$python does not run"
want="$(sha256sum "$req" | cut -d' ' -f1) python $pyver"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  # The full import check costs seconds; a warm run only proves the venv runs.
  "$venv/bin/python" -c "import $quick" 2>/dev/null ||
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

step "installing $(grep -c '==' "$req") pinned packages from $(basename "$(dirname "$req")")/requirements.txt (pip)"
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" ||
  fail "pip install -r $req failed (see above); PyPI must be reachable for a cold setup"

step "checking imports"
out="$("$venv/bin/python" -W ignore -c "$full" 2>&1)" || fail "installed, but the imports fail: $out"

echo "$want" >"$stamp"
step "ready: $venv/bin/python"
