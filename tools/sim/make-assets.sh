#!/usr/bin/env bash
# Generates the demo's speech clips (never committed): espeak-ng → WAV → Ogg Opus (libopus via
# opusenc), 48 kHz mono, 20 ms frames.
# Usage: make-assets.sh [OUTDIR]  -> OUTDIR/caller.ogg, OUTDIR/reply.ogg (+ the .wav files);
#        OUTDIR defaults to tools/sim/assets (git-ignored)
set -euo pipefail
out="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/assets}"
mkdir -p "$out"
caller_text="${WAB_CALLER_TEXT:-Hello, I would like to book a table for two tonight.}"
reply_text="${WAB_REPLY_TEXT:-Certainly! A table for two tonight. What time would you like?}"
for tool in espeak-ng opusenc; do
  command -v "$tool" >/dev/null || { echo "make-assets: $tool is missing (run scripts/setup.sh)" >&2; exit 1; }
done
speak() { # voice text name
  espeak-ng -v "$1" -s 150 -w "$out/$3.wav" "$2"
  # --raw-rate is not needed: opusenc reads the WAV header and resamples to 48 kHz itself.
  opusenc --quiet --bitrate 24 --framesize 20 --downmix-mono --max-delay 20 "$out/$3.wav" "$out/$3.ogg"
}
speak en-us "$caller_text" caller
speak en-gb "$reply_text" reply
