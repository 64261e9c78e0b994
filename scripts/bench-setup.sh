#!/usr/bin/env bash
# Call-setup latency on loopback: places CALLS (default 100) calls one after another through
# wabridge with the Meta and OpenAI simulators and reports webhook → pre_accept and
# webhook → accept (median, p99, max), measured by the simulated Meta side.
#   bash scripts/bench-setup.sh [CALLS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
calls="${1:-100}"
out=build/bench-setup
bash scripts/demo.sh --calls "$calls" --duration 1 --no-audio-check --out "$out" >"$out.log" 2>&1 || {
  tail -20 "$out.log"
  exit 1
}
/usr/bin/python3 scripts/setup_times.py "$out/metasim.log"
