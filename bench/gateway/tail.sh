#!/usr/bin/env bash
# Tail benchmark: 4 node:http instances on loopback, one answering 20 ms late, behind
# nginx round-robin, nginx least_conn and Pier's gateway (peak-EWMA, the default; and
# p2c on outstanding requests alone, the former default), same wrk settings for each;
# and Pier in front of the 3 fast instances only, the floor any balancing can reach.
# Usage: bash bench/gateway/tail.sh
#   WRK_ARGS (default "-t2 -c32 -d10s")   WARMUP (default 3s)   SLOW_MS (default 20)
#   DECAY_MS peak-EWMA's τ for the default Pier row (default the policy's, 1 s)
#   ALT_DECAY_MS τ for a second peak-EWMA row (default 10000 ms, Finagle's and Linkerd's)
# It also runs peak-EWMA's cost alone (Finagle's and tower's rule, without the check on
# the predicted wait; src/gateway/lb/peak-ewma.ts), and both in front of two equal
# instances, printing how they split.
set -euo pipefail
cd "$(dirname "$0")/../.."
WRK_ARGS=${WRK_ARGS:-"-t2 -c32 -d10s"}
WARMUP=${WARMUP:-3s}
SLOW_MS=${SLOW_MS:-20}

BENCH_NAME=tail
# shellcheck source=bench/gateway/common.sh
source bench/gateway/common.sh

PORTS=()
SERVERS=""
for i in 1 2 3 4; do
  port=$(free_port)
  delay=0
  if [[ $i == 4 ]]; then delay=$SLOW_MS; fi
  node --import tsx bench/gateway/tail-backend.ts "$port" "$delay" >/dev/null &
  PIDS+=($!)
  wait_port "$port"
  PORTS+=("$port")
  SERVERS="$SERVERS server 127.0.0.1:$port;"
done

RR_PORT=$(free_port)
LC_PORT=$(free_port)
mkdir -p "$DIR"/{body,proxy,fastcgi,uwsgi,scgi}
sed -e "s#__DIR__#$DIR#g" -e "s#__SERVERS__#$SERVERS#g" -e "s#__RR_PORT__#$RR_PORT#g" -e "s#__LC_PORT__#$LC_PORT#g" \
  bench/gateway/tail-nginx.conf.template >"$DIR/nginx.conf"
nginx -c "$DIR/nginx.conf" &
PIDS+=($!)
wait_port "$RR_PORT"
wait_port "$LC_PORT"

# Starts Pier's tail gateway with the environment in $2 ("" for none) in front of the
# instances on the remaining ports; sets the variable named $1 to its port once it listens.
start_pier() {
  local var=$1 env=$2 port
  shift 2
  port=$(free_port)
  # shellcheck disable=SC2086
  env $env node --import tsx bench/gateway/tail-gateway.ts "$port" "$TOKEN" "$@" >/dev/null &
  PIDS+=($!)
  wait_port "$port"
  printf -v "$var" '%s' "$port"
}
start_pier PIER_PORT "" "${PORTS[@]}"
start_pier ALT_PORT "DECAY_MS=${ALT_DECAY_MS:-10000}" "${PORTS[@]}"
start_pier P2C_PORT POLICY=p2c "${PORTS[@]}"
start_pier FIN_PORT POLICY=finagle "${PORTS[@]}"
start_pier EQ_PORT "" "${PORTS[@]:0:2}"
start_pier EQFIN_PORT POLICY=finagle "${PORTS[@]:0:2}"
# The floor: Pier in front of the 3 fast instances only (perfect avoidance of the slow one).
start_pier FLOOR_PORT "" "${PORTS[@]:0:3}"

count() { curl -sf "http://127.0.0.1:$1/__count"; }
slow_count() { count "${PORTS[3]}"; }
all_count() {
  local sum=0
  for p in "${PORTS[@]}"; do sum=$((sum + $(count "$p"))); done
  echo "$sum"
}

# Prints "req/s p50_ms p99_ms slow_share_%" for one wrk run (after a warm-up with the same wrk arguments).
measure() {
  local url=$1
  shift
  wrk -t2 -c32 -d"$WARMUP" "$@" "$url" >/dev/null
  local s0 a0
  s0=$(slow_count)
  a0=$(all_count)
  local line
  # shellcheck disable=SC2086
  line=$(wrk $WRK_ARGS --latency "$@" "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f\n", rps, p50, p99 }')
  local s1 a1
  s1=$(slow_count)
  a1=$(all_count)
  echo "$line $(awk -v s=$((s1 - s0)) -v a=$((a1 - a0)) 'BEGIN { printf "%.2f", (a > 0 ? 100 * s / a : 0) }')"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
read -r R_RPS R_P50 R_P99 R_SLOW < <(measure "http://127.0.0.1:$RR_PORT/predict")
read -r L_RPS L_P50 L_P99 L_SLOW < <(measure "http://127.0.0.1:$LC_PORT/predict")
read -r P_RPS P_P50 P_P99 P_SLOW < <(measure "http://127.0.0.1:$PIER_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
read -r T_RPS T_P50 T_P99 T_SLOW < <(measure "http://127.0.0.1:$ALT_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
read -r Q_RPS Q_P50 Q_P99 Q_SLOW < <(measure "http://127.0.0.1:$P2C_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
read -r F_RPS F_P50 F_P99 F_SLOW < <(measure "http://127.0.0.1:$FLOOR_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
read -r E_RPS E_P50 E_P99 E_SLOW < <(measure "http://127.0.0.1:$FIN_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
# Two equal instances: the first one's share of what the two served in the measured run.
first_share() {
  local a0 b0 a1 b1
  a0=$(count "${PORTS[0]}")
  b0=$(count "${PORTS[1]}")
  measure "$@" >/dev/null
  a1=$(count "${PORTS[0]}")
  b1=$(count "${PORTS[1]}")
  awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) 'BEGIN { printf "%.1f", (a + b > 0 ? 100 * a / (a + b) : 0) }'
}
EQ_SPLIT=$(first_share "http://127.0.0.1:$EQ_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
EQFIN_SPLIT=$(first_share "http://127.0.0.1:$EQFIN_PORT/api/predict/bench/predict" -H "Authorization: $TOKEN")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "wrk $WRK_ARGS (after a $WARMUP warm-up each); 4 instances, one ${SLOW_MS} ms late; $(nproc) cores;"
echo "node $(node --version); $(nginx -v 2>&1); load average before $LOAD_BEFORE, after $LOAD_AFTER"
echo
echo "| target | req/s | p50 ms | p99 ms | slow instance's share % |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| nginx round-robin | $R_RPS | $R_P50 | $R_P99 | $R_SLOW |"
echo "| nginx least_conn | $L_RPS | $L_P50 | $L_P99 | $L_SLOW |"
echo "| Pier (default: peak-EWMA with the wait check, τ ${DECAY_MS:-1000} ms) | $P_RPS | $P_P50 | $P_P99 | $P_SLOW |"
echo "| Pier default with τ ${ALT_DECAY_MS:-10000} ms | $T_RPS | $T_P50 | $T_P99 | $T_SLOW |"
echo "| Pier p2c, outstanding only | $Q_RPS | $Q_P50 | $Q_P99 | $Q_SLOW |"
echo "| Pier peak-EWMA cost alone (Finagle, tower: no wait check) | $E_RPS | $E_P50 | $E_P99 | $E_SLOW |"
echo "| Pier, 3 fast instances only (floor) | $F_RPS | $F_P50 | $F_P99 | $F_SLOW |"
echo
awk -v ep="$E_P99" -v pp="$P_P99" -v lp="$L_P99" -v rp="$R_P99" -v qp="$Q_P99" -v pr="$P_RPS" -v lr="$L_RPS" -v fp="$F_P99" 'BEGIN {
  printf "| ratio | value |\n| --- | ---: |\n"
  printf "| **Pier p99 / nginx least_conn p99** (goal <= 0.5) | **%.2f** |\n", pp/lp
  printf "| Pier p99 / nginx round-robin p99 | %.2f |\n| Pier p99 / Pier p2c p99 | %.2f |\n", pp/rp, pp/qp
  printf "| Pier / nginx least_conn req/s | %.2f |\n", pr/lr
  printf "| Pier floor p99 / nginx least_conn p99 | %.2f |\n", fp/lp
  printf "| Pier peak-EWMA cost alone p99 / nginx least_conn p99 | %.2f |\n", ep/lp }'
echo
echo "Two equal instances, the first one's share of the requests (50 is even): Pier default $EQ_SPLIT %, peak-EWMA cost alone $EQFIN_SPLIT %."

