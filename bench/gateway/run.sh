#!/usr/bin/env bash
# Gateway benchmark: backend direct vs nginx (1 worker) vs Pier's gateway, same wrk
# settings for each, in one run. Usage: bash bench/gateway/run.sh
#   WRK_ARGS   (default "-t2 -c64 -d10s")   WARMUP (default 2s)
#   PROFILE=1  also writes a CPU profile of the gateway and prints its top functions
set -euo pipefail
cd "$(dirname "$0")/../.."
WRK_ARGS=${WRK_ARGS:-"-t2 -c64 -d10s"}
WARMUP=${WARMUP:-2s}
TOKEN=bench-token-0123456789

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk >/dev/null
fi

DIR=$(mktemp -d /tmp/pier-bench-gateway.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "port $1 never opened" >&2
  return 1
}

BACKEND_PORT=$(free_port)
node --import tsx bench/gateway/backend.ts "$BACKEND_PORT" >/dev/null &
PIDS+=($!)
wait_port "$BACKEND_PORT"

NGINX_PORT=$(free_port)
mkdir -p "$DIR"/{body,proxy,fastcgi,uwsgi,scgi}
sed -e "s#__DIR__#$DIR#g" -e "s#__BACKEND_PORT__#$BACKEND_PORT#g" -e "s#__NGINX_PORT__#$NGINX_PORT#g" \
  bench/gateway/nginx.conf.template >"$DIR/nginx.conf"
nginx -c "$DIR/nginx.conf" &
PIDS+=($!)
wait_port "$NGINX_PORT"

BARE_PORT=$(free_port)
node --import tsx bench/gateway/bare-proxy.ts "$BACKEND_PORT" "$BARE_PORT" >/dev/null &
PIDS+=($!)
wait_port "$BARE_PORT"

UNDICI_PORT=$(free_port)
node --import tsx bench/gateway/bare-undici-proxy.ts "$BACKEND_PORT" "$UNDICI_PORT" >/dev/null &
PIDS+=($!)
wait_port "$UNDICI_PORT"

PIER_PORT=$(free_port)
NODE_FLAGS=()
if [[ "${PROFILE:-}" == 1 ]]; then NODE_FLAGS=(--cpu-prof --cpu-prof-dir="$DIR/prof"); fi
node "${NODE_FLAGS[@]}" --import tsx bench/gateway/gateway-server.ts "$BACKEND_PORT" "$PIER_PORT" "$TOKEN" >/dev/null &
PIER_PID=$!
PIDS+=($PIER_PID)
wait_port "$PIER_PORT"

# Prints "req/s p50_ms p99_ms" for one wrk run.
measure() {
  local url=$1
  shift
  wrk -t2 -c64 -d"$WARMUP" "$@" "$url" >/dev/null
  # shellcheck disable=SC2086
  wrk $WRK_ARGS --latency "$@" "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}

read -r D_RPS D_P50 D_P99 < <(measure "http://127.0.0.1:$BACKEND_PORT/predict")
read -r N_RPS N_P50 N_P99 < <(measure "http://127.0.0.1:$NGINX_PORT/predict")
read -r B_RPS B_P50 B_P99 < <(measure "http://127.0.0.1:$BARE_PORT/predict")
read -r U_RPS U_P50 U_P99 < <(measure "http://127.0.0.1:$UNDICI_PORT/predict")
read -r P_RPS P_P50 P_P99 < <(measure "http://127.0.0.1:$PIER_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")

echo
echo "wrk $WRK_ARGS (after a $WARMUP warm-up each); $(nproc) cores; node $(node --version); $(nginx -v 2>&1)"
echo
echo "| target | req/s | p50 ms | p99 ms |"
echo "| --- | ---: | ---: | ---: |"
echo "| backend direct | $D_RPS | $D_P50 | $D_P99 |"
echo "| nginx (1 worker, keepalive pool) | $N_RPS | $N_P50 | $N_P99 |"
echo "| bare node:http proxy (floor, no features) | $B_RPS | $B_P50 | $B_P99 |"
echo "| bare undici proxy (floor, no features) | $U_RPS | $U_P50 | $U_P99 |"
echo "| Pier gateway | $P_RPS | $P_P50 | $P_P99 |"
echo
awk -v p="$P_RPS" -v n="$N_RPS" -v d="$D_RPS" -v b="$B_RPS" -v u="$U_RPS" -v pp="$P_P99" -v np="$N_P99" 'BEGIN {
  printf "| ratio | value |\n| --- | ---: |\n"
  printf "| Pier / nginx req/s | %.2f |\n| Pier / direct req/s | %.2f |\n", p/n, p/d
  printf "| Pier / bare node proxy req/s | %.2f |\n| Pier / bare undici proxy req/s | %.2f |\n", p/b, p/u
  printf "| Pier p99 / nginx p99 | %.2f |\n", pp/np }'

if [[ "${PROFILE:-}" == 1 ]]; then
  kill -INT "$PIER_PID"
  wait "$PIER_PID" 2>/dev/null || true
  node --import tsx bench/gateway/profile-summary.ts "$DIR/prof"
fi
