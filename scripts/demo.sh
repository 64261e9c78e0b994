#!/usr/bin/env bash
# Local demo: one simulated WhatsApp call through wabridge to a simulated OpenAI Realtime agent.
#
#   scripts/demo.sh [--duration SECONDS] [--out DIR] [--build-dir DIR] [--bridge PATH] [--ephemeral]
#
# Builds wabridge and the simulators, synthesises the caller's and the agent's speech (espeak-ng →
# opusenc), starts openaisim and wabridge on free local ports, lets metasim place one call, waits
# for its end and leaves in the output directory (default out/demo):
#   heard-by-caller.ogg  what the WhatsApp caller heard (written by metasim)
#   heard-by-agent.ogg   what the agent received (written by openaisim)
#   session-update.jsonl the session.update events the bridge sent
#   wabridge.log, openaisim.log, metasim.log (JSON lines) and *.stderr
# Prints the transcripts from wabridge's log and a summary. Exits non-zero when the call did not
# complete or a recording is empty. --bridge runs another binary in wabridge's place (the tests
# use the simulators' fakebridge). Needs what scripts/setup.sh installs (espeak-ng, opus-tools).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=15
out="$root/out/demo"
build="${WAB_BUILD_DIR:-$root/build}"
bridge=""
auth="apikey"
calls=1
audio_check=1
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --bridge) bridge="$2"; shift 2 ;;
    --ephemeral) auth="ephemeral"; shift ;;
    --calls) calls="$2"; shift 2 ;;               # one after another (setup-time benchmark)
    --no-audio-check) audio_check=0; shift ;;     # short calls have no speech to check
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

say() { printf 'demo: %s\n' "$*" >&2; }

# --- build -----------------------------------------------------------------------------------
simdir="$build/tools/sim"
if [ -z "$bridge" ]; then
  if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
    say "configuring $build"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  say "building wabridge"
  cmake --build "$build" --target wabridge -j2 >/dev/null
  bridge="$build/src/app/wabridge"
fi
say "building the simulators"
"$root/tools/sim/build.sh" "$simdir"
[ -x "$bridge" ] || { say "no bridge binary at $bridge"; exit 1; }

say "synthesising speech"
"$root/tools/sim/make-assets.sh" "$out/assets" >/dev/null 2>&1 ||
  "$root/tools/sim/make-assets.sh" "$out/assets"

# --- ports -----------------------------------------------------------------------------------
read -r port_bridge port_graph port_openai < <("$py" - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*[s.getsockname()[1] for s in socks])
EOF
)
media_min=$((20000 + (RANDOM % 200) * 100))
media_max=$((media_min + 99))

# --- processes -------------------------------------------------------------------------------
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

rm -f "$out"/heard-by-caller.ogg "$out"/heard-by-agent.ogg "$out"/session-update.jsonl "$out"/*.log "$out"/*.stderr

"$simdir/openaisim" --listen "127.0.0.1:$port_openai" --api-key sk-demo-not-a-real-key \
  --model gpt-realtime \
  --reply-audio "$out/assets/reply.ogg" \
  --reply-transcript "Certainly! A table for two tonight. What time would you like?" \
  --caller-transcript "Hello, I would like to book a table for two tonight." \
  --record "$out/heard-by-agent.ogg" --record-session "$out/session-update.jsonl" \
  >"$out/openaisim.log" 2>"$out/openaisim.stderr" &
openai_pid=$!
pids+=("$openai_pid")

PORT="$port_bridge" HTTP_HOST=127.0.0.1 MEDIA_PUBLIC_IP=127.0.0.1 \
  MEDIA_PORT_MIN="$media_min" MEDIA_PORT_MAX="$media_max" \
  WHATSAPP_ACCESS_TOKEN=demo-access-token WHATSAPP_APP_SECRET=demo-app-secret \
  WHATSAPP_VERIFY_TOKEN=demo-verify-token WHATSAPP_GRAPH_URL="http://127.0.0.1:$port_graph/v24.0" \
  OPENAI_API_KEY=sk-demo-not-a-real-key OPENAI_BASE_URL="http://127.0.0.1:$port_openai/v1" \
  OPENAI_MODEL=gpt-realtime OPENAI_VOICE=marin OPENAI_AUTH="$auth" \
  OPENAI_INSTRUCTIONS="You take restaurant bookings by phone. Be brief and friendly." \
  LOG_LEVEL=info \
  "$bridge" >"$out/wabridge.log" 2>"$out/wabridge.stderr" &
bridge_pid=$!
pids+=("$bridge_pid")

wait_http "http://127.0.0.1:$port_openai/v1/realtime/calls" 10 || { say "openaisim did not start"; cat "$out/openaisim.stderr" >&2; exit 1; }
wait_http "http://127.0.0.1:$port_bridge/healthz" 20 || { say "wabridge did not start"; tail -5 "$out/wabridge.stderr" >&2; exit 1; }
say "wabridge on :$port_bridge, Graph sim on :$port_graph, OpenAI sim on :$port_openai, media $media_min-$media_max"

say "placing one ${duration}s call"
set +e
timeout "$((calls * (duration + 3) + 40))" "$simdir/metasim" --graph-listen "127.0.0.1:$port_graph" \
  --webhook-url "http://127.0.0.1:$port_bridge/webhook" \
  --app-secret demo-app-secret --access-token demo-access-token \
  --caller-audio "$out/assets/caller.ogg" --caller-audio-at 5s \
  --record "$out/heard-by-caller.ogg" --hangup-after "${duration}s" \
  --calls "$calls" --gap 200ms --max-run "$((calls * (duration + 3) + 30))s" \
  >"$out/metasim.log" 2>"$out/metasim.stderr"
call_rc=$?
set -e

sleep 1 # let the bridge act on the terminate webhook (hangup towards OpenAI)
kill -TERM "$openai_pid" 2>/dev/null || true
wait "$openai_pid" 2>/dev/null || true
kill -TERM "$bridge_pid" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$bridge_pid" 2>/dev/null || break; sleep 0.1; done

# --- summary ---------------------------------------------------------------------------------
echo
echo "== transcripts (wabridge log)"
"$py" - "$out/wabridge.log" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1], errors="replace"):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "transcript":
        n += 1
        print(f"  {ev.get('speaker', '?'):>6}: {ev.get('text', '')}")
if not n:
    print("  (none)")
EOF
echo
echo "== call (metasim report)"
"$py" - "$out/metasim.log" <<'EOF'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "graph_action":
        print(f"  graph {ev['action']}: {ev['result']}")
    if ev.get("event") == "report":
        for r in ev.get("results", []):
            print(f"  outcome {r['outcome']} ({r['cause']}), {r['duration_s']} s, "
                  f"sent {r['packets_sent']} / received {r['packets_received']} RTP packets")
EOF
echo
echo "== recordings"
status=0
for f in heard-by-caller.ogg heard-by-agent.ogg; do
  # Speech, not just keep-alive silence: at least one second of real Opus audio.
  voiced=0
  [ -s "$out/$f" ] && voiced=$("$py" "$root/tools/sim/voiced_packets.py" "$out/$f" || echo 0)
  if [ "$voiced" -ge 50 ] || [ "$audio_check" -eq 0 ]; then
    length=""
    command -v opusinfo >/dev/null && length="$(opusinfo "$out/$f" 2>/dev/null | sed -n 's/.*Playback length: *//p' | head -1 || true)"
    printf '  %-20s %8d bytes  %5d voiced packets  %s\n' "$f" "$(stat -c %s "$out/$f")" "$voiced" \
      "${length:+length $length}"
  else
    printf '  %-20s NO SPEECH (%s voiced packets)\n' "$f" "$voiced"
    status=1
  fi
done
echo "  logs in $out"
if [ "$call_rc" -ne 0 ]; then
  say "the call did not complete normally (metasim exit $call_rc)"
  status=1
fi
exit "$status"
