#!/usr/bin/env bash
# Gateway benchmark: backend direct vs nginx vs Pier's gateway, each with 1 worker and
# with one per core, same wrk settings for each, in one run; req/s, p50, p99 and the
# proxy's CPU per request. Usage: bash bench/gateway/run.sh
#   WRK_ARGS   (default "-t2 -c64 -d10s")   WARMUP (default 2s)
#   PROFILE=1  also writes a CPU profile of the gateway and prints its top functions
set -euo pipefail
cd "$(dirname "$0")/../.."
WRK_ARGS=${WRK_ARGS:-"-t2 -c64 -d10s"}
WARMUP=${WARMUP:-2s}

BENCH_NAME=gateway
# shellcheck source=bench/gateway/common.sh
source bench/gateway/common.sh

BACKEND_PORT=$(free_port)
node --import tsx bench/gateway/backend.ts "$BACKEND_PORT" >/dev/null &
PIDS+=($!)
wait_port "$BACKEND_PORT"

CORES=$(nproc)
start_nginx() { # workers; sets NG_PORT and NG_PID
  local port
  port=$(free_port)
  mkdir -p "$DIR/n$1"/{body,proxy,fastcgi,uwsgi,scgi}
  sed -e "s#__DIR__#$DIR/n$1#g" -e "s#__BACKEND_PORT__#$BACKEND_PORT#g" -e "s#__NGINX_PORT__#$port#g" \
    -e "s#^worker_processes 1;#worker_processes $1;#" bench/gateway/nginx.conf.template >"$DIR/n$1/nginx.conf"
  nginx -c "$DIR/n$1/nginx.conf" >/dev/null 2>&1 &
  NG_PID=$!
  PIDS+=($NG_PID)
  wait_port "$port"
  NG_PORT=$port
}
start_nginx 1
NGINX_PORT=$NG_PORT NGINX_PID=$NG_PID
start_nginx "$CORES"
NGINXN_PORT=$NG_PORT NGINXN_PID=$NG_PID

UNDICI_PORT=$(free_port)
node --import tsx bench/gateway/bare-undici-proxy.ts "$BACKEND_PORT" "$UNDICI_PORT" >/dev/null &
UNDICI_PID=$!
PIDS+=($UNDICI_PID)
wait_port "$UNDICI_PORT"
RAW_PORT=$(free_port)
node --import tsx bench/gateway/raw-proxy.ts "$BACKEND_PORT" "$RAW_PORT" >/dev/null &
RAW_PID=$!
PIDS+=($RAW_PID)
wait_port "$RAW_PORT"

NODE_FLAGS=()
if [[ "${PROFILE:-}" == 1 ]]; then NODE_FLAGS=(--cpu-prof --cpu-prof-dir="$DIR/prof"); fi
PIER_PORT=$(free_port)
node "${NODE_FLAGS[@]}" --import tsx bench/gateway/gateway-server.ts "$BACKEND_PORT" "$PIER_PORT" "$TOKEN" 1 >/dev/null &
PIER_PID=$!
PIDS+=($PIER_PID)
wait_port "$PIER_PORT"
PIERN_PORT=$(free_port)
node --import tsx bench/gateway/gateway-server.ts "$BACKEND_PORT" "$PIERN_PORT" "$TOKEN" auto >/dev/null &
PIERN_PID=$!
PIDS+=($PIERN_PID)
wait_port "$PIERN_PORT"

# CPU ticks (user + system) of a process and its children (nginx's workers); threads are in their process's count.
ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    if [[ -r /proc/$p/stat ]]; then
      total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
    fi
  done
  echo "$total"
}
HZ=$(getconf CLK_TCK)

# Prints "req/s p50_ms p99_ms cpu_us_per_request" for one wrk run; $1 the proxy's pid (0: none).
measure() {
  local pid=$1 url=$2 before after
  shift 2
  wrk -t2 -c64 -d"$WARMUP" "$@" "$url" >/dev/null
  before=$( ((pid > 0)) && ticks "$pid" || echo 0)
  # shellcheck disable=SC2086
  wrk $WRK_ARGS --latency "$@" "$url" >"$DIR/wrk.out"
  after=$( ((pid > 0)) && ticks "$pid" || echo 0)
  awk -v cpu=$((after - before)) -v hz="$HZ" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $2 == "requests" && $3 == "in" { n = $1 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }
          printf "%.0f %.2f %.2f %.1f\n", rps, p50, p99, (n > 0 ? cpu * 1e6 / hz / n : 0) }' "$DIR/wrk.out"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
A=(-H "Authorization: $TOKEN")
read -r D_RPS D_P50 D_P99 _ < <(measure 0 "http://127.0.0.1:$BACKEND_PORT/predict")
read -r N_RPS N_P50 N_P99 N_CPU < <(measure "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/predict")
read -r NN_RPS NN_P50 NN_P99 NN_CPU < <(measure "$NGINXN_PID" "http://127.0.0.1:$NGINXN_PORT/predict")
read -r U_RPS U_P50 U_P99 U_CPU < <(measure "$UNDICI_PID" "http://127.0.0.1:$UNDICI_PORT/predict")
read -r R_RPS R_P50 R_P99 R_CPU < <(measure "$RAW_PID" "http://127.0.0.1:$RAW_PORT/predict")
read -r P_RPS P_P50 P_P99 P_CPU < <(measure "$PIER_PID" "http://127.0.0.1:$PIER_PORT/api/predict/bench/predict" "${A[@]}")
read -r PN_RPS PN_P50 PN_P99 PN_CPU < <(measure "$PIERN_PID" "http://127.0.0.1:$PIERN_PORT/api/predict/bench/predict" "${A[@]}")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "wrk $WRK_ARGS (after a $WARMUP warm-up each); $CORES cores; load average $LOAD_BEFORE before, $LOAD_AFTER after;"
echo "node $(node --version); $(nginx -v 2>&1)"
echo
echo "| target | req/s | p50 ms | p99 ms | proxy CPU µs/req |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| backend direct | $D_RPS | $D_P50 | $D_P99 | |"
echo "| nginx, 1 worker | $N_RPS | $N_P50 | $N_P99 | $N_CPU |"
echo "| nginx, $CORES workers | $NN_RPS | $NN_P50 | $NN_P99 | $NN_CPU |"
echo "| bare undici proxy (floor, no features) | $U_RPS | $U_P50 | $U_P99 | $U_CPU |"
echo "| raw llhttp proxy (lower floor, no node:http) | $R_RPS | $R_P50 | $R_P99 | $R_CPU |"
echo "| Pier, 1 worker | $P_RPS | $P_P50 | $P_P99 | $P_CPU |"
echo "| Pier, auto ($CORES workers) | $PN_RPS | $PN_P50 | $PN_P99 | $PN_CPU |"
echo
awk -v p="$P_RPS" -v n="$N_RPS" -v pn="$PN_RPS" -v nn="$NN_RPS" -v d="$D_RPS" -v u="$U_RPS" -v r="$R_RPS" -v rc="$R_CPU" -v uc="$U_CPU" \
  -v pp="$P_P99" -v np="$N_P99" -v pnp="$PN_P99" -v nnp="$NN_P99" -v pc="$P_CPU" -v nc="$N_CPU" -v pnc="$PN_CPU" -v nnc="$NN_CPU" 'BEGIN {
  printf "| ratio | value | goal |\n| --- | ---: | --- |\n"
  printf "| Pier 1 worker / nginx 1 worker, req/s | %.2f | >= 0.6 (aim 1.0) |\n", p/n
  printf "| Pier auto / nginx %s workers, req/s | %.2f | >= 1.0 |\n", "'"$CORES"'", pn/nn
  printf "| Pier p99 / nginx p99 (1 worker; auto) | %.2f; %.2f | <= 2 |\n", pp/np, pnp/nnp
  printf "| Pier CPU / nginx CPU per request (1 worker; auto) | %.2f; %.2f | <= 1.25 |\n", pc/nc, pnc/nnc
  printf "| Pier 1 worker / bare undici proxy, req/s | %.2f | |\n| Pier 1 worker / direct, req/s | %.2f | |\n", p/u, p/d
  printf "| floors: bare undici / nginx, raw llhttp / nginx, CPU per request | %.2f; %.2f | |\n", uc/nc, rc/nc
  printf "| raw llhttp proxy / nginx 1 worker, req/s | %.2f | |\n", r/n }'

if [[ "${PROFILE:-}" == 1 ]]; then
  kill -INT "$PIER_PID"
  wait "$PIER_PID" 2>/dev/null || true
  node --import tsx bench/gateway/profile-summary.ts "$DIR/prof"
fi
