#!/usr/bin/env bash
# Builds the simulators offline from Debian's Go packages (golang-github-pion-webrtc.v3-dev).
# Usage: build.sh OUTDIR   -> OUTDIR/metasim, OUTDIR/openaisim, OUTDIR/fakebridge
#        build.sh --test   -> runs the Go tests of the simulators
# GOPATH mode with a go.mod in each package directory: Go's "minimal module compatibility" then
# maps the .../webrtc/v3 import to Debian's unversioned source tree. WAB_GOCODE overrides that tree;
# WAB_GO_BUILD_FLAGS adds go build flags (e.g. -race); WAB_GOCACHE shares one Go build cache
# between build trees (scripts/test.sh), instead of OUTDIR/.gocache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
packages=(metasim openaisim fakebridge)
if [ "${1:-}" = "--test" ]; then
  cache="${GOCACHE:-$here/../../build/.gocache-sim}"
  mkdir -p "$cache"
  cd "$here/src/simcore"
  GOPATH="$here:${WAB_GOCODE:-/usr/share/gocode}" GO111MODULE=off GOFLAGS='' GOPROXY=off GOCACHE="$cache" \
    go test "${@:2}" simcore metasim openaisim fakebridge
  exit
fi
out="${1:?usage: build.sh OUTDIR | build.sh --test}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cache="${WAB_GOCACHE:-$out/.gocache}"
mkdir -p "$cache"
for p in "${packages[@]}"; do
  (cd "$here/src/$p" &&
    GOPATH="$here:${WAB_GOCODE:-/usr/share/gocode}" GO111MODULE=off GOFLAGS='' GOPROXY=off GOCACHE="$cache" \
      go build ${WAB_GO_BUILD_FLAGS:-} -o "$out/$p" "$p")
done
