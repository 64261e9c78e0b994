#!/usr/bin/env bash
# Sets up the machine, builds wabridge and runs it. With WhatsApp credentials in the environment
# (WHATSAPP_ACCESS_TOKEN and the rest, see README.md) it serves real calls; without them it runs the
# local demo: a simulated WhatsApp caller and a simulated OpenAI agent on this machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if [ -z "${WHATSAPP_ACCESS_TOKEN:-}" ]; then
  echo "run: no WHATSAPP_ACCESS_TOKEN set: running the local demo (simulated caller and agent)"
  exec bash scripts/demo.sh "$@"
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target wabridge
exec ./build/src/app/wabridge "$@"
