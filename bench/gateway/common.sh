# Shared by run.sh and tail.sh (sourced after WRK_ARGS and friends are set): the
# project's Node first on PATH, nginx and wrk from apt, a scratch dir and the
# processes to stop on exit, and two port helpers.
export PATH="$PWD/node_modules/.bin:$PATH"
TOKEN=bench-token-0123456789

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk >/dev/null
fi

DIR=$(mktemp -d "/tmp/pier-bench-${BENCH_NAME:-gateway}.XXXXXX")
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
