#!/usr/bin/env bash
# Runs a command in a network namespace of its own that has nothing but loopback,
# where the pods' and Services' range 198.18.0.0/15 (cluster.sh) is routed to
# loopback as well. A backend can then bind a pod's address, Pier's gateway can
# reach it there, and no packet can leave the machine: every other address is
# unreachable in the namespace. The namespace ends with the command.
#   bash test/kubernetes/netns.sh npx vitest run test/kubernetes/
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: netns.sh COMMAND [ARGS...]" >&2; exit 2; }
if [ "${PIER_K8S_NETNS:-}" = 1 ]; then exec "$@"; fi
# As root a plain new network namespace; otherwise one inside a user namespace.
if [ "$(id -u)" = 0 ]; then ns=(unshare --net); else ns=(unshare --user --map-root-user --net); fi
exec "${ns[@]}" -- bash -c '
  set -e
  ip link set lo up
  ip route add local 198.18.0.0/15 dev lo table local
  export PIER_K8S_NETNS=1
  exec "$@"' netns "$@"
