#!/usr/bin/env bash
# A Debian 12 base image for building deploy/kubernetes/Containerfile where no
# container registry is reachable (this machine): mmdebstrap makes the root file
# system from Debian's apt mirror, with the host's extra CA certificates (a proxy's)
# trusted, and podman imports it as localhost/pier-debian:bookworm. Made once;
# later runs find the image and return at once. Usage: bash test/deploy/base-image.sh
set -euo pipefail
IMAGE=localhost/pier-debian:bookworm
say() { printf '[setup] %s\n' "$*"; }
export CONTAINERS_CONF
CONTAINERS_CONF="$(cd "$(dirname "$0")/../.." && pwd)/src/runtime/container/containers.conf"

if podman image exists "$IMAGE"; then
  say "base image $IMAGE is present"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hooks=()
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  hooks+=(--customize-hook='copy-in /usr/local/share/ca-certificates /usr/local/share'
    --customize-hook='chroot "$1" update-ca-certificates')
fi
say "building the base image $IMAGE with mmdebstrap (about a minute)"
mmdebstrap --quiet --variant=apt --include=ca-certificates "${hooks[@]}" \
  bookworm "$work/rootfs.tar" http://deb.debian.org/debian
podman import --quiet "$work/rootfs.tar" "$IMAGE" >/dev/null
say "base image $IMAGE is ready"
