#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the tests: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok, which plays the kubelets of
# fake nodes (https://kwok.sigs.k8s.io/). Binaries come from build.sh.
#
#   bash test/kubernetes/cluster.sh up DIR     start, wait until ready, write DIR/kubeconfig
#   bash test/kubernetes/cluster.sh down DIR   stop everything `up DIR` started
#
# Pods get addresses from POD_CIDR, which must be local to this network namespace:
# run under netns.sh, which makes it so (see README.md for why not 127.0.0.0/8).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"

# Both inside 198.18.0.0/15, the range RFC 2544 sets aside for benchmark tests,
# which netns.sh routes to loopback. Service IPs carry no traffic here (there is
# no kube-proxy); in the namespace they are local too, so nothing can leave.
POD_CIDR=198.18.0.0/16
SERVICE_CIDR=198.19.0.0/16
NODES=3
# Elastic nodes (virtual-kubelet style: labelled type=virtual-kubelet, tainted
# virtual-kubelet.io/provider:NoSchedule) for Pier's burst_resource; only pods that
# tolerate the taint land there.
ELASTIC_NODES=2
# Components started by `up`, in start order; `down` stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

say() { printf '[k8s] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# wait_for SECONDS WHAT CMD...: poll CMD every half second, bounded.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    for c in "${COMPONENTS[@]}"; do
      local f="$dir/pids/$c.pid"
      [ -f "$f" ] && ! kill -0 "$(cat "$f")" 2>/dev/null && die "$c exited while waiting for $what; see $dir/logs/$c.log"
    done
    sleep 0.5
  done
}

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

certs() {
  local pki=$dir/pki
  mkdir -p "$pki"
  ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
  ossl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=pier-test-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt"
  ossl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' >"$pki/apiserver.ext"
  ossl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt"
  # kwok's kubelet API (logs, exec, port-forward) serves this one; the apiserver
  # verifies it against the CA (--kubelet-certificate-authority) at the node's
  # InternalIP, 127.0.0.1, and shows its own client certificate. kwok asks for
  # none (its server has no client authentication), as a kubelet with
  # --anonymous-auth would not.
  ossl req -newkey rsa:2048 -nodes -subj "/CN=kwok-kubelet" \
    -keyout "$pki/kwok.key" -out "$pki/kwok.csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$pki/kwok.ext"
  ossl x509 -req -in "$pki/kwok.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$pki/kwok.ext" -out "$pki/kwok.crt"
  ossl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" \
    -keyout "$pki/kubelet-client.key" -out "$pki/kubelet-client.csr"
  printf 'extendedKeyUsage=clientAuth\n' >"$pki/kubelet-client.ext"
  ossl x509 -req -in "$pki/kubelet-client.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$pki/kubelet-client.ext" -out "$pki/kubelet-client.crt"
  ossl genrsa -out "$pki/sa.key" 2048
  ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
}

# A kubeconfig in JSON (kubeconfig files are YAML, and JSON is YAML), so tests can
# read it without a YAML parser.
kubeconfig() {
  python3 - "$1" "$2" "$dir/pki/ca.crt" "$3" <<'PY'
import base64, json, sys
out, server, ca, token = sys.argv[1:5]
ca_data = base64.b64encode(open(ca, "rb").read()).decode()
json.dump({
    "apiVersion": "v1", "kind": "Config", "current-context": "pier-test",
    "clusters": [{"name": "pier-test", "cluster": {"server": server, "certificate-authority-data": ca_data}}],
    "users": [{"name": "pier-admin", "user": {"token": token}}],
    "contexts": [{"name": "pier-test", "context": {"cluster": "pier-test", "user": "pier-admin", "namespace": "default"}}],
}, open(out, "w"), indent=2)
PY
}

start() {
  local name=$1
  shift
  # setsid: the components outlive this script and leave with `down` only.
  setsid "$K8S_BIN/$name" "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
}

api() {
  curl -sf --max-time 10 --cacert "$dir/pki/ca.crt" -H "Authorization: Bearer $token" \
    -H "Content-Type: ${content_type:-application/json}" "$@"
}

nodes_ready() {
  api "$server/api/v1/nodes" | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
ready = [n for n in items if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))]
sys.exit(0 if len(ready) == int(sys.argv[1]) else 1)' "$((NODES + ELASTIC_NODES))"
}

logs_crd_established() {
  api "$server/apis/apiextensions.k8s.io/v1/customresourcedefinitions/logs.kwok.x-k8s.io" | python3 -c '
import json, sys
conds = json.load(sys.stdin).get("status", {}).get("conditions", [])
sys.exit(0 if any(c["type"] == "Established" and c["status"] == "True" for c in conds) else 1)'
}

create_nodes() {
  local i name type taints zones=(a b c)
  for ((i = 0; i < NODES + ELASTIC_NODES; i++)); do
    if ((i < NODES)); then
      name="kwok-node-$i" type=kwok taints='[]'
    else
      name="kwok-elastic-$((i - NODES))" type=virtual-kubelet
      taints='[{"key": "virtual-kubelet.io/provider", "value": "pier-test", "effect": "NoSchedule"}]'
    fi
    api -X POST "$server/api/v1/nodes" -d @- >/dev/null <<JSON || die "creating node $name failed"
{"apiVersion": "v1", "kind": "Node",
 "metadata": {"name": "$name",
   "annotations": {"kwok.x-k8s.io/node": "fake"},
   "labels": {"type": "$type", "kubernetes.io/hostname": "$name", "kubernetes.io/os": "linux",
     "kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "pier-test.gpu4",
     "topology.kubernetes.io/zone": "zone-${zones[$((i % 3))]}", "nvidia.com/gpu.present": "true"}},
 "spec": {"podCIDR": "198.18.$i.0/24", "podCIDRs": ["198.18.$i.0/24"], "taints": $taints},
 "status": {
   "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110", "nvidia.com/gpu": "4", "ephemeral-storage": "100Gi"},
   "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110", "nvidia.com/gpu": "4", "ephemeral-storage": "100Gi"}}}
JSON
  done
}

up() {
  for b in "${K8S_BINARIES[@]}"; do
    [ -x "$K8S_BIN/$b" ] || die "$K8S_BIN/$b is missing: run bash test/kubernetes/build.sh"
  done
  command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
  # No client may ever reach a pod address outside this machine.
  ip route get "${POD_CIDR%%/*}" 2>/dev/null | grep -q '^local' ||
    die "pod range $POD_CIDR is not local in this network namespace: run the command under bash test/kubernetes/netns.sh"
  [ ! -f "$dir/pids/etcd.pid" ] || die "$dir already has a cluster: run down $dir first"
  mkdir -p "$dir/logs" "$dir/pids" "$dir/etcd"
  # A failed `up` leaves nothing running either.
  trap 'rc=$?; if [ "$rc" != 0 ]; then say "up failed; stopping what it started"; down; fi' EXIT
  local started=$SECONDS
  certs
  token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
  echo "$token,pier-admin,pier-admin,system:masters" >"$dir/pki/tokens.csv"
  read -r etcd_port peer_port api_port kubelet_port <<<"$(free_ports 4)"
  server="https://127.0.0.1:$api_port"
  kubeconfig "$dir/kubeconfig" "$server" "$token"

  start etcd --name=pier-test --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="pier-test=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level=warn
  wait_for 60 etcd curl -sf --max-time 5 "http://127.0.0.1:$etcd_port/health" || die "etcd did not become healthy"

  # An audit log only where a test asked for one (upCluster's auditPolicy writes DIR/audit-policy.yaml):
  # https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/
  local audit=()
  if [ -f "$dir/audit-policy.yaml" ]; then
    audit=(--audit-policy-file="$dir/audit-policy.yaml" --audit-log-path="$dir/logs/audit.log" --audit-log-format=json)
  fi
  # --endpoint-reconciler-type=none: the apiserver would publish its own address
  # (127.0.0.1) in the kubernetes Service's endpoints, which validation rejects.
  start kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --tls-cert-file="$dir/pki/apiserver.crt" --tls-private-key-file="$dir/pki/apiserver.key" \
    --client-ca-file="$dir/pki/ca.crt" --token-auth-file="$dir/pki/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$dir/pki/sa.pub" --service-account-signing-key-file="$dir/pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --authorization-mode=RBAC \
    --endpoint-reconciler-type=none --allow-privileged=true --profiling=false \
    --kubelet-preferred-address-types=InternalIP --kubelet-certificate-authority="$dir/pki/ca.crt" \
    --kubelet-client-certificate="$dir/pki/kubelet-client.crt" --kubelet-client-key="$dir/pki/kubelet-client.key" \
    ${audit[@]+"${audit[@]}"}
  wait_for 180 kube-apiserver api "$server/readyz" || die "kube-apiserver did not become ready; see $dir/logs/kube-apiserver.log"

  local comp=$dir/component.kubeconfig
  kubeconfig "$comp" "$server" "$token"
  start kube-controller-manager --kubeconfig="$comp" --secure-port=0 --leader-elect=false \
    --service-account-private-key-file="$dir/pki/sa.key" --root-ca-file="$dir/pki/ca.crt" \
    --use-service-account-credentials=false --profiling=false
  start kube-scheduler --kubeconfig="$comp" --secure-port=0 --leader-elect=false --profiling=false
  # The Logs resource (kwok.x-k8s.io/v1alpha1) maps a pod's containers to log
  # files; kwok watches them (--enable-crds), so the CRD must exist first.
  content_type=application/yaml api -X POST "$server/apis/apiextensions.k8s.io/v1/customresourcedefinitions" \
    --data-binary @"$here/kwok-logs-crd.yaml" >/dev/null ||
    die "creating the Logs CRD failed"
  wait_for 60 "the Logs CRD" logs_crd_established || die "the Logs CRD was not established"
  # --server-address: kwok serves the kubelet API for every fake node there
  # (https://kwok.sigs.k8s.io/docs/user/kwok-in-cluster/); --node-port is what the
  # nodes advertise (status.daemonEndpoints, stages.yaml), which the apiserver dials.
  start kwok --kubeconfig="$comp" --config="$here/stages.yaml" --manage-all-nodes=true \
    --cidr="$POD_CIDR" --node-ip=127.0.0.1 \
    --server-address="127.0.0.1:$kubelet_port" --node-port="$kubelet_port" \
    --tls-cert-file="$dir/pki/kwok.crt" --tls-private-key-file="$dir/pki/kwok.key" --enable-crds=Logs
  wait_for 60 "kwok's server" curl -sf --max-time 5 --cacert "$dir/pki/ca.crt" "https://127.0.0.1:$kubelet_port/healthz" ||
    die "kwok's server did not answer on 127.0.0.1:$kubelet_port; see $dir/logs/kwok.log"

  create_nodes
  wait_for 120 "nodes Ready" nodes_ready || die "kwok nodes did not become Ready; see $dir/logs/kwok.log"
  # Pods can be created once the namespace has its default service account.
  wait_for 120 "the default service account" api "$server/api/v1/namespaces/default/serviceaccounts/default" ||
    die "no default service account; see $dir/logs/kube-controller-manager.log"
  say "ready in $((SECONDS - started))s: $dir/kubeconfig ($server)"
}

# The pid is still the component `up` started (not a reused pid) when it runs our binary.
ours() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$K8S_BIN/$2" ]; }

down() {
  local i name pid
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    name=${COMPONENTS[$i]}
    [ -f "$dir/pids/$name.pid" ] || continue
    pid=$(cat "$dir/pids/$name.pid")
    if ours "$pid" "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      local deadline=$((SECONDS + 30))
      while ours "$pid" "$name" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
      if ours "$pid" "$name"; then
        say "$name ($pid) ignored SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        while ours "$pid" "$name"; do sleep 0.1; done
      fi
    fi
    rm -f "$dir/pids/$name.pid"
  done
  rm -rf "$dir/etcd"
}

[ $# -eq 2 ] || die "usage: cluster.sh up|down DIR"
mkdir -p "$2"
dir="$(cd "$2" && pwd)"
case "$1" in
  up) up ;;
  down) down ;;
  *) die "usage: cluster.sh up|down DIR" ;;
esac
