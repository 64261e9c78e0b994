#!/usr/bin/env bash
# Sets up the machine, builds wabridge and runs its main job. Until the call bridge lands, the main
# job is the media self-test: two local WebRTC peers connected over real sockets.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target wabridge
exec ./build/src/app/wabridge selftest "$@"
