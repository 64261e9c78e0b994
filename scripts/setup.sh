#!/usr/bin/env bash
# Installs every Debian 12 package wabridge's build, demo and tests need. Idempotent.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  libssl-dev libsrtp2-dev libusrsctp-dev libcurl4-openssl-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libopus-dev libogg-dev libtomlplusplus-dev
  libhiredis-dev
  # cluster mode's tests start their own Redis
  redis-server
  # independent WebRTC peers for the interop tests
  python3 python3-aiortc python3-aiohttp espeak-ng
  golang-go golang-github-pion-webrtc.v3-dev
  chromium opus-tools curl
  # a real TURN server (RFC 8656) for the relay tests
  coturn
)
# Node.js drives Chromium through playwright-core. A machine that already has node and npm (from
# any source) keeps them: Debian's packages would conflict with another installation.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core drives headless Chromium in the interop tests (no browser download: it uses
# the Debian chromium binary).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -d "$here/tests/interop/chromium/node_modules/playwright-core" ]; then
  (cd "$here/tests/interop/chromium" && npm install --no-audit --no-fund --silent >/dev/null)
fi
# The dashboard's browser test pins its own copy (package-lock.json).
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
  (cd "$here/tests/browser" && npm ci --no-audit --no-fund --silent >/dev/null)
fi
echo "setup: ok"
