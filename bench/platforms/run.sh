#!/usr/bin/env bash
# bench/platforms: one trivial Python model served by Pier, Ray Serve, BentoML and a
# bare uvicorn app, at 1 and 2 replicas, wrk through each one's own HTTP entry.
#   bash bench/platforms/run.sh
#   DURATION (default 15s)  WARMUP (default 3s)  CONNECTIONS (default 32)  REPLICAS (default "1 2")
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/bench/platforms
VENV=$CACHE/venv

if ! command -v wrk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [[ ! -x $VENV/bin/python ]] || ! cmp -s bench/platforms/requirements.txt "$VENV/.requirements"; then
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r bench/platforms/requirements.txt
  cp bench/platforms/requirements.txt "$VENV/.requirements"
fi

# No usage reports, no cluster addresses: everything stays on loopback (README.md).
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 BENTOML_DO_NOT_TRACK=True
export PYTHONDONTWRITEBYTECODE=1 # nothing written into the repo
export BENCH_VENV=$VENV

# The project's Node (npm installs it into node_modules/.bin; native modules are built for it).
NODE=node
if [[ -x node_modules/.bin/node ]]; then NODE=node_modules/.bin/node; fi
"$NODE" --import tsx bench/platforms/run.ts &
RUNNER=$!
# The runner stops what it started; this covers a Ctrl-C or kill of this script.
trap 'kill -TERM "$RUNNER" 2>/dev/null || true; wait "$RUNNER" 2>/dev/null || true' EXIT INT TERM
wait "$RUNNER"
