#!/usr/bin/env bash
# Tests the simulators against each other with fakebridge in the bridge's place: Go unit tests,
# then one scenario per Meta/OpenAI rule, each asserting on the JSON-lines logs.
# Usage: tools/sim/test.sh [WORKDIR]   (default: a temporary directory, removed on success)
#        ONLY="happy late_accept" tools/sim/test.sh   runs only those scenarios
#        BRIDGE=build/src/app/wabridge tools/sim/test.sh   runs the scenarios that need no
#        fakebridge test knob against the real bridge
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

echo "sim-test: go test"
GOCACHE="$work/.gocache" "$here/build.sh" --test
echo "sim-test: building into $work/bin"
"$here/build.sh" "$work/bin"
"$here/make-assets.sh" "$work/assets" >/dev/null 2>&1
bin="$work/bin"

# ONLY="a b" runs only the named scenarios.
selected() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
bridge_bin="${BRIDGE:-}"
[ -z "$bridge_bin" ] || bridge_bin="$(cd "$(dirname "$bridge_bin")" && pwd)/$(basename "$bridge_bin")"

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_ports() {
  "$py" -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])'
}

wait_http() {
  local deadline=$((SECONDS + 10))
  until curl -s -o /dev/null "$1"; do ((SECONDS < deadline)) || return 1; sleep 0.1; done
}

# scenario NAME "OPENAISIM FLAGS" "FAKEBRIDGE ENV" "METASIM FLAGS"; logs in $work/NAME/
scenario() {
  local name="$1" oflags="$2" benv="$3" mflags="$4" d="$work/$1"
  selected "$name" || return 0
  if [ -n "$bridge_bin" ] && [[ "$benv" == *FAKEBRIDGE_* ]]; then
    echo "SKIP $name (needs a fakebridge knob)"
    skipped="$skipped $name"
    return 0
  fi
  local media=$((20000 + (RANDOM % 400) * 100))
  mkdir -p "$d"
  read -r pb pg po < <(free_ports)
  # shellcheck disable=SC2086
  "$bin/openaisim" --listen "127.0.0.1:$po" --api-key sk-test \
    --reply-audio "$work/assets/reply.ogg" --record "$d/agent.ogg" --record-session "$d/session.jsonl" \
    $oflags >"$d/openaisim.log" 2>"$d/openaisim.stderr" &
  local opid=$!
  # shellcheck disable=SC2086
  env PORT="$pb" HTTP_HOST=127.0.0.1 WHATSAPP_ACCESS_TOKEN=tok WHATSAPP_APP_SECRET=sec \
    WHATSAPP_VERIFY_TOKEN=ver WHATSAPP_GRAPH_URL="http://127.0.0.1:$pg/v24.0" \
    OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$po/v1" MEDIA_PUBLIC_IP=127.0.0.1 \
    MEDIA_PORT_MIN="$media" MEDIA_PORT_MAX="$((media + 99))" $benv \
    "${bridge_bin:-$bin/fakebridge}" >"$d/bridge.log" 2>"$d/bridge.stderr" &
  local bpid=$!
  pids=("$opid" "$bpid")
  wait_http "http://127.0.0.1:$po/v1/realtime/calls"
  wait_http "http://127.0.0.1:$pb/healthz"
  set +e
  # shellcheck disable=SC2086
  timeout 60 "$bin/metasim" --graph-listen "127.0.0.1:$pg" --webhook-url "http://127.0.0.1:$pb/webhook" \
    --app-secret sec --access-token tok --caller-audio "$work/assets/caller.ogg" \
    --record "$d/caller.ogg" $mflags >"$d/metasim.log" 2>"$d/metasim.stderr"
  echo $? >"$d/metasim.rc"
  set -e
  sleep 0.5
  kill -TERM "$opid" "$bpid" 2>/dev/null || true
  wait "$opid" "$bpid" 2>/dev/null || true
  pids=()
}

# check NAME PYTHON-EXPRESSIONS... : each expression must be true; logs are lists of dicts
# m (metasim), o (openaisim), b (bridge); rc is metasim's exit code; r the metasim report result;
# fake is true when the bridge is fakebridge.
failures=0
skipped=""
check() {
  local name="$1"
  shift
  selected "$name" || return 0
  [[ " $skipped " != *" $name "* ]] || return 0
  if FAKE="${bridge_bin:+0}" "$py" - "$work/$name" "$@" <<'EOF'; then echo "PASS $name"; else echo "FAIL $name (logs in $work/$name)"; failures=$((failures + 1)); fi
import json, os, sys
d = sys.argv[1]
def load(f):
    out = []
    p = os.path.join(d, f)
    if os.path.exists(p):
        for line in open(p, errors="replace"):
            try: out.append(json.loads(line))
            except ValueError: pass
    return out
m, o, b = load("metasim.log"), load("openaisim.log"), load("bridge.log")
fake = os.environ.get("FAKE") != "0"  # the bridge is fakebridge (its own extra log events)
rc = int(open(os.path.join(d, "metasim.rc")).read())
rep = [e for e in m if e.get("event") == "report"]
r = rep[0]["results"][0] if rep and rep[0]["results"] else {}
def ev(log, name, **kw):
    return [e for e in log if e.get("event") == name and all(e.get(k) == v for k, v in kw.items())]
def size(f):
    p = os.path.join(d, f)
    return os.path.getsize(p) if os.path.exists(p) else 0
ok = True
for expr in sys.argv[2:]:
    if not eval(expr):
        print("  not true:", expr)
        ok = False
sys.exit(0 if ok else 1)
EOF
}

echo "sim-test: scenarios"
scenario happy "" "" "--caller-audio-at 2s --hangup-after 9s --dtmf 3 --dtmf-at 1s"
check happy 'rc == 0' 'r["outcome"] == "completed"' 'r["dtmf_sent"] == "3"' \
  'len(ev(b, "transcript", speaker="caller")) == 1' 'len(ev(b, "transcript", speaker="agent")) == 2' \
  'not fake or [e["digit_event"] for e in ev(b, "dtmf")] == [3]' 'size("caller.ogg") > 10000 and size("agent.ogg") > 10000' \
  'ev(o, "event_received", type="session.update") and ev(o, "event_sent", type="session.updated")' \
  'ev(o, "event_sent", type="input_audio_buffer.speech_started") and ev(o, "event_sent", type="input_audio_buffer.speech_stopped")' \
  'json.loads(open(d + "/session.jsonl").readline())["session"]["type"] == "realtime"' \
  'ev(o, "hangup_request")' 'ev(m, "graph_action", action="pre_accept", result="ok")' \
  'ev(m, "first_media_received", before_accept=False)'

scenario ephemeral "" "OPENAI_AUTH=ephemeral" "--hangup-after 3s"
check ephemeral 'rc == 0' 'ev(o, "client_secret_created")' 'ev(o, "call_created", auth="ephemeral")'

scenario no_pre_accept "" "FAKEBRIDGE_SKIP_PRE_ACCEPT=1" "--hangup-after 3s"
check no_pre_accept 'rc == 0' 'r["graph_actions"] == ["accept"]'

scenario sdp_mismatch "" "FAKEBRIDGE_ACCEPT_SDP=mismatch" "--hangup-after 3s"
check sdp_mismatch 'rc != 0' 'ev(m, "graph_action", action="accept", result="error", code=100)' \
  'r["outcome"] == "rejected"'

scenario late_accept "" "FAKEBRIDGE_ACCEPT_DELAY=3s" "--accept-window 2s --linger 3s"
check late_accept 'rc != 0' 'r["outcome"] == "not_answered"' \
  'ev(m, "graph_action", action="accept", result="error", code=138007)' 'ev(b, "terminate_webhook", status="FAILED")'

scenario no_media "" "FAKEBRIDGE_MUTE=1" "--no-media-timeout 2s --hangup-after 10s"
check no_media 'rc != 0' 'r["cause"] == "media_timeout" and r["status"] == "FAILED"' 'r["packets_received"] == 0'

scenario http500 "--fail http500" "" "--hangup-after 3s"
check http500 'rc != 0' 'ev(m, "graph_action", action="reject", result="ok")' 'ev(b, "call_ended")'

scenario openai_timeout "--fail timeout" "" "--hangup-after 25s --accept-window 30s"
check openai_timeout 'ev(o, "not_answering")' 'ev(b, "call_ended")' \
  'r["cause"] in ("rejected_by_business", "terminated_by_business")'

scenario close_midcall "--fail close-midcall --close-after 2s" "" "--hangup-after 14s"
check close_midcall 'r["cause"] == "terminated_by_business"' 'ev(m, "graph_action", action="terminate", result="ok")'

scenario no_session_updated "--fail no-session-updated" "" "--hangup-after 3s"
check no_session_updated 'ev(o, "withholding_session_updated")' 'not ev(o, "agent_speaks")' 'not ev(b, "transcript")'

scenario duplicate "" "" "--duplicate-connect --hangup-after 3s"
check duplicate 'rc == 0' 'len(ev(o, "call_created")) == 1' 'len(ev(m, "webhook_sent", kind="connect", status=200)) == 2'

scenario concurrent "" "" "--calls 2 --concurrent --hangup-after 3s"
check concurrent 'rc == 0' 'rep[0]["completed"] == 2' 'len(ev(o, "call_created")) == 2'

if ((failures)); then
  echo "sim-test: $failures scenario(s) failed"
  exit 1
fi
echo "sim-test: all passed"
[ -n "${1:-}" ] || rm -rf "$work"
