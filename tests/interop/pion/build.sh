#!/usr/bin/env bash
# Builds the Pion interop peer offline from Debian's Go packages (golang-github-pion-webrtc.v3-dev).
# Usage: build.sh OUTDIR   -> OUTDIR/wabpionpeer   (WAB_GOCODE overrides the Debian Go tree;
# WAB_GOCACHE shares one Go build cache between build trees, instead of OUTDIR/.gocache)
# GOPATH mode with a go.mod in the package directory: Go's "minimal module compatibility" then
# maps the .../webrtc/v3 import to Debian's unversioned source tree.
set -euo pipefail
out="${1:?usage: build.sh OUTDIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cache="${WAB_GOCACHE:-$out/.gocache}"
mkdir -p "$cache"
cd "$here/src/wabpionpeer"
GOPATH="$here:${WAB_GOCODE:-/usr/share/gocode}" GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE="$cache" \
  go build -o "$out/wabpionpeer" wabpionpeer
