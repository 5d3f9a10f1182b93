# Sourced by build.sh and cluster.sh: where the control plane's binaries live.
# shellcheck shell=bash
K8S_VERSION=v1.36.3
K8S_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
K8S_BIN="${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/kubernetes/$K8S_VERSION/bin"
