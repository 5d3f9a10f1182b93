#!/usr/bin/env bash
# Builds the Java client that test/sdk/java/java-sdk.test.ts runs: the official EAS Java SDK
# (com.aliyun.openservices.eas:eas-sdk from Maven Central, unchanged) plus a small driver, as one
# shaded jar. Everything Maven writes (local repository, build output) lives outside the repo in
#   ${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/sdk/java
# Idempotent: when the jar was built from the current pom.xml, src/ and this script, it does
# nothing (no Maven, no network). Needs Java 17+ and Maven 3.8+.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/sdk/java"
jar="$cache/eas-java-sdk-client.jar"
stamp="$cache/sources.sha256"

fail() {
  echo "test/sdk/java/setup.sh: $*" >&2
  exit 1
}

# The same digest java-sdk.test.ts computes: sha256sum of each input (sorted by path), hashed again.
sources_hash() {
  (cd "$here" && { echo pom.xml; echo setup.sh; find src -type f; } | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
}

want="$(sources_hash)"
if [[ -f "$jar" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "test/sdk/java: $jar is up to date"
  exit 0
fi

command -v java >/dev/null || fail "java not found: install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || fail "mvn not found: install Maven 3.8+ (Debian: apt-get install maven)"

mkdir -p "$cache"
build="$cache/build"
rm -rf "$build"
mkdir -p "$build"
cp "$here/pom.xml" "$build/"
cp -r "$here/src" "$build/"

log="$cache/build.log"
mvn_args=(-B -f "$build/pom.xml" "-Dmaven.repo.local=$cache/m2" -DskipTests package)
echo "test/sdk/java: building $jar (log: $log)"
# Offline first: after the first build every artifact is in the local repository.
if ! mvn -o "${mvn_args[@]}" >"$log" 2>&1; then
  if ! mvn "${mvn_args[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "Maven build failed (full log: $log)"
  fi
fi

built="$build/target/eas-java-sdk-client.jar"
[[ -f "$built" ]] || fail "Maven finished but $built is missing (log: $log)"
cp "$built" "$jar.tmp"
mv "$jar.tmp" "$jar"
echo "$want" >"$stamp"
echo "test/sdk/java: built $jar"
