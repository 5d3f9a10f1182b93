#!/usr/bin/env bash
# Builds the control plane that cluster.sh runs (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) from the Go modules pinned in
# build/go.mod, fetched through the Go module proxy. The binaries go to a cache
# outside the repository, keyed by the Kubernetes version and by a hash of
# build/go.mod + go.sum, so a second run only checks that they are there.
# Usage: bash test/kubernetes/build.sh   (prints the bin directory last)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"

say() { printf '[k8s-build] %s\n' "$*" >&2; }

stamp="$K8S_BIN/.built"
want="$(cat "$here/build/go.mod" "$here/build/go.sum" | sha256sum | cut -d' ' -f1)"
complete() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
  for b in "${K8S_BINARIES[@]}"; do [ -x "$K8S_BIN/$b" ] || return 1; done
}
if complete; then
  echo "$K8S_BIN"
  exit 0
fi

go="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[ -x "$go" ] || { say "go not found (set GO=/path/to/go; Go >= 1.26 is needed)"; exit 1; }

# The version the binaries report (/version, the components' compatibility
# checks) is set by the linker, as Kubernetes' own build does
# (hack/lib/version.sh in the kubernetes repository).
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

tmp="$K8S_BIN.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
say "building ${K8S_BINARIES[*]} ($K8S_VERSION) into $K8S_BIN; a cold build takes several minutes"
start=$SECONDS
cd "$here/build"
# -mod=readonly: go.sum is committed, a build never rewrites it.
GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  go.etcd.io/etcd/server/v3 \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  sigs.k8s.io/kwok/cmd/kwok
# go build names a binary after the last element of its path that is not a
# major version: go.etcd.io/etcd/server/v3 becomes "server".
mv "$tmp/server" "$tmp/etcd"
mkdir -p "$K8S_BIN"
for b in "${K8S_BINARIES[@]}"; do mv -f "$tmp/$b" "$K8S_BIN/$b"; done
echo "$want" >"$stamp"
say "built in $((SECONDS - start))s"
echo "$K8S_BIN"
