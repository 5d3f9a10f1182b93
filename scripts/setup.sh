#!/usr/bin/env bash
# Everything the test suite needs on a fresh Debian 12 machine, installed once and
# then found again in well under a second: system packages (as root, with apt), and
# the official SDKs' packages in caches outside the repository. `npm test` runs this
# first, so the README's test line is the whole setup. Each step says what it does.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# Debian packages the tests use, by the command or file that shows each is present.
# podman: the container runtime's tests (runc: crun fails on this VM's cgroup layout;
# catatonit backs --init; busybox-static is what the test images are made of).
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have curl || need+=(curl)
# The console's browser tests (test/e2e/console.test.ts) drive Debian's Chromium with playwright-core.
have chromium || need+=(chromium)
have python3 || need+=(python3)
have ss || need+=(iproute2)
have podman || need+=(podman)
have runc || need+=(runc)
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /usr/libexec/podman/catatonit ] || have catatonit || need+=(catatonit)
have mvn || need+=(maven)
have java || need+=(default-jdk-headless)
# The Redis Streams queue backend's tests start their own redis-server (test/support/redis.ts).
have redis-server || need+=(redis-server)
# Pier's own image is built from a Debian 12 root file system made with mmdebstrap (test/deploy/).
have mmdebstrap || need+=(mmdebstrap)

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${need[*]}"
    say "run this once as root, then npm test again:"
    say "  sudo apt-get update && sudo apt-get install -y ${need[*]}"
    exit 1
  fi
  say "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The real Kubernetes control plane the platform tests run against, built once from
# Go modules (about 10 minutes cold on two cores; test/kubernetes/README.md).
bash test/kubernetes/build.sh

# The base that Pier's Containerfile is built on in test/deploy/image.test.ts.
bash test/deploy/base-image.sh

# The SDKs' own packages (PyPI, Maven Central), each in a cache of its own.
for sdk in test/sdk/*/setup.sh; do
  [ -f "$sdk" ] || continue
  bash "$sdk"
done
say "ready"
