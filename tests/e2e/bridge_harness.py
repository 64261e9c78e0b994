"""End-to-end harness for wabridge: real processes, fake Meta and OpenAI HTTP services.

The caller (WhatsApp side) and the agent (OpenAI side) are WebRTC stacks no one here wrote: the
Pion interop peer (tests/interop/pion), driven over its JSON-lines protocol (docs/INTEROP.md plus
the e2e switches of its control.go) by processes.py. The Graph API and the OpenAI API are small
HTTP servers in this process (fake_services.py) that record every request. Each test script
builds a `Harness`, runs one scenario and exits 0 on pass, 1 on failure (printing what it saw).

Standard library only; run with the system Python.
"""

import argparse
import json
import os
import re
import shlex
import signal
import sys
import tempfile
import time
import traceback

# Test scripts reach these as bridge_harness.<name> too.
from e2e_common import (ACCESS_TOKEN, API_KEY, APP_SECRET, BUSINESS_NUMBER, CALLER_WA_ID,  # noqa: F401
                        EPHEMERAL_KEY, MIN_VALID_RTP, OPENAI_CALL_ID, PHONE_NUMBER_ID, SECRETS,
                        VERIFY_TOKEN, WABA_ID, E2EFailure, free_port, http_request, log, sign,
                        wait_until)
from fake_services import FakeGraph, FakeOpenAI, openai_call_id  # noqa: F401
from processes import Bridge, PionPeer  # noqa: F401


# --- webhooks -----------------------------------------------------------------------------------


def envelope(call):
    return {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": WABA_ID,
            "changes": [{
                "field": "calls",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": BUSINESS_NUMBER,
                                 "phone_number_id": PHONE_NUMBER_ID},
                    "contacts": [{"profile": {"name": "E2E Caller"}, "wa_id": CALLER_WA_ID}],
                    "calls": [call],
                },
            }],
        }],
    }


def connect_body(call_id, offer_sdp):
    return json.dumps(envelope({
        "id": call_id, "from": CALLER_WA_ID, "to": BUSINESS_NUMBER, "event": "connect",
        "timestamp": str(int(time.time())), "direction": "USER_INITIATED",
        "session": {"sdp_type": "offer", "sdp": offer_sdp},
    })).encode()


def terminate_body(call_id, started):
    now = int(time.time())
    return json.dumps(envelope({
        "id": call_id, "from": CALLER_WA_ID, "to": BUSINESS_NUMBER, "event": "terminate",
        "direction": "USER_INITIATED", "timestamp": str(now), "status": "COMPLETED",
        "start_time": str(int(started)), "end_time": str(now), "duration": now - int(started),
    })).encode()


# --- SDP checks ---------------------------------------------------------------------------------


def sdp_lines(sdp):
    return [l for l in sdp.replace("\r\n", "\n").split("\n") if l]


def opus_pt(sdp):
    for line in sdp_lines(sdp):
        m = re.match(r"a=rtpmap:(\d+) opus/48000", line, re.I)
        if m:
            return m.group(1)
    return None


def check_whatsapp_answer(answer, offer):
    """Problems of the bridge's answer to the WhatsApp-shaped offer (whatsapp.md §2.2/§3.7)."""
    problems = []
    lines = sdp_lines(answer)
    if not answer.startswith("v=0"):
        problems.append("answer does not start with v=0")
    if "\r\n" not in answer or answer.replace("\r\n", "").count("\n"):
        problems.append("answer lines are not CRLF-terminated")
    if "a=setup:active" not in lines:
        problems.append("no a=setup:active")
    if any(l.startswith("a=ice-lite") for l in lines):
        problems.append("answer says a=ice-lite (the bridge must be a full ICE agent)")
    if not any(re.fullmatch(r"a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}", l, re.I)
               for l in lines):
        problems.append("no a=fingerprint:sha-256 with 32 bytes")
    if not any(l.startswith("a=candidate:") and " 127.0.0.1 " in l for l in lines):
        problems.append("no a=candidate with MEDIA_PUBLIC_IP 127.0.0.1")
    if not any(l.startswith("a=ice-ufrag:") for l in lines) or not any(
            l.startswith("a=ice-pwd:") for l in lines):
        problems.append("no ice-ufrag/ice-pwd")
    if "a=mid:audio" not in lines:
        problems.append("no a=mid:audio (must mirror the offer's mid)")
    want_pt = opus_pt(offer)
    m_lines = [l for l in lines if l.startswith("m=audio ")]
    if len(m_lines) != 1:
        problems.append(f"{len(m_lines)} m=audio lines")
    else:
        pts = m_lines[0].split()[3:]
        if not pts or pts[0] != want_pt:
            problems.append(f"m=audio formats {pts}: first must be the offer's Opus PT {want_pt}")
        if "UDP/TLS/RTP/SAVPF" not in m_lines[0]:
            problems.append("m=audio is not UDP/TLS/RTP/SAVPF")
    if opus_pt(answer) != want_pt:
        problems.append(f"answer's Opus rtpmap PT {opus_pt(answer)} != offer's {want_pt}")
    return problems


def check_openai_offer(offer, whatsapp_offer):
    """Problems of the bridge's offer to OpenAI (openai.md §2.2)."""
    problems = []
    lines = sdp_lines(offer)
    if not any(l.startswith("m=audio ") for l in lines):
        problems.append("OpenAI offer has no m=audio")
    if not any(l.startswith("m=application ") and "webrtc-datachannel" in l for l in lines):
        problems.append("OpenAI offer has no m=application … webrtc-datachannel")
    if "a=setup:actpass" not in lines:
        problems.append("OpenAI offer lacks a=setup:actpass")
    want_pt = opus_pt(whatsapp_offer)
    if opus_pt(offer) != want_pt:
        problems.append(f"OpenAI offer's Opus PT {opus_pt(offer)} != WhatsApp's {want_pt}")
    if not any(l.startswith("a=candidate:") and " 127.0.0.1 " in l for l in lines):
        problems.append("OpenAI offer has no 127.0.0.1 candidate")
    if not any(re.fullmatch(r"a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}", l, re.I)
               for l in lines):
        problems.append("OpenAI offer has no sha-256 fingerprint")
    return problems


# --- the harness --------------------------------------------------------------------------------

# What the agent peer's data channel does by itself, like OpenAI's server: session.created on
# open, session.updated for every session.update.
OPENAI_SCRIPT = [
    {"on": "open", "send": [{
        "type": "session.created", "event_id": "event_e2e_1",
        "session": {"type": "realtime", "object": "realtime.session", "id": "sess_e2e",
                    "model": "gpt-realtime", "output_modalities": ["audio"],
                    "audio": {"output": {"voice": "alloy"}}}}]},
    {"on": "session.update", "send": [{
        "type": "session.updated", "event_id": "event_e2e_2",
        "session": {"type": "realtime", "object": "realtime.session", "id": "sess_e2e"}}]},
]

CALLER_TEXT = "Hello, I would like to book a table for two."
AGENT_TEXT = "Of course! For which evening would you like the table?"


def parse_args(argv, description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--wabridge", required=True,
                        help="the wabridge binary (a command line: the self-test runs the stand-in)")
    parser.add_argument("--pion", required=True, help="the wabpionpeer binary")
    # Not the working directory by default: runs from the source tree must not leave files there.
    default_logs = os.path.join(tempfile.gettempdir(), "wab-e2e-logs")
    parser.add_argument("--log-dir", default=os.environ.get("E2E_LOG_DIR", default_logs),
                        help="where process output goes (test_secrets.py scans it); "
                             "default $E2E_LOG_DIR or <tmp>/wab-e2e-logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="echo wabridge's output")
    parser.add_argument("--case", default="", help="the variant, for scripts that have several")
    return parser.parse_args(argv)


class Harness:
    """One wabridge with its fake services, and the peers of the calls a scenario makes."""

    def __init__(self, args, name):
        self.args = args
        self.name = name
        os.makedirs(args.log_dir, exist_ok=True)
        for stale in os.listdir(args.log_dir):
            if stale.startswith(name + "."):
                os.unlink(os.path.join(args.log_dir, stale))
        self.tmp = tempfile.mkdtemp(prefix=f"wab-e2e-{name}-")
        self.graph = FakeGraph()
        self.openai = FakeOpenAI()
        self.graph.on_action = self._on_graph_action
        self.openai.on_offer = self._on_openai_offer
        self.bridge = None
        self.bridge_checked = False
        self.callers = {}  # call id -> caller PionPeer
        self.answered = {}  # call id -> the SDP handed to the caller
        self.agents = []
        self.agent_args = ["--role", "answer", "--lite", "--setup", "active"]
        self.openai_script = OPENAI_SCRIPT  # what agent peers send on their data channel
        self.withhold_answers = False  # True: callers never learn the answer (media never comes up)
        self.checks = []  # (name, ok, detail)

    # -- setup

    def start_bridge(self, auth="apikey", api_key=True, extra_env=None):
        port = free_port()
        media_min = 20000 + (os.getpid() * 37 % 15000)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WHATSAPP_"))}
        env.update({
            "PORT": str(port), "HTTP_HOST": "127.0.0.1", "MEDIA_PUBLIC_IP": "127.0.0.1",
            "MEDIA_PORT_MIN": str(media_min), "MEDIA_PORT_MAX": str(media_min + 199),
            "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{self.graph.port}/v24.0",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.openai.port}/v1",
            "OPENAI_AUTH": auth, "LOG_LEVEL": "debug",
            "WAB_E2E_PION": self.args.pion,  # read only by standin_bridge.py
        })
        if api_key:
            env["OPENAI_API_KEY"] = API_KEY
        env.update(extra_env or {})
        binary = shlex.split(self.args.wabridge)[0]
        if not os.access(binary, os.X_OK):
            raise E2EFailure(f"{binary} is not an executable (build the wabridge target first)")
        log(f"starting wabridge on :{port} (OPENAI_AUTH={auth}, api key {'set' if api_key else 'unset'})")
        self.bridge = Bridge(self.args.wabridge, env, self.args.log_dir, self.name,
                             echo=self.args.verbose)
        self.bridge.wait_healthy()
        return self.bridge

    def new_caller(self, call_id, extra=None):
        caller = PionPeer(self.args.pion, f"{self.name}.caller{len(self.callers)}",
                          ["--role", "offer", "--whatsapp"] + (extra or []), self.args.log_dir)
        self.callers[call_id] = caller
        return caller

    def _on_graph_action(self, action, body):
        # Like Meta: the caller's media stack learns the answer with pre_accept (or accept, when
        # the bridge skips pre_accept); later actions change nothing.
        call_id = body.get("call_id")
        sdp = (body.get("session") or {}).get("sdp")
        caller = self.callers.get(call_id)
        if self.withhold_answers:
            return
        if action in ("pre_accept", "accept") and caller and sdp and call_id not in self.answered:
            self.answered[call_id] = sdp
            caller.send({"type": "answer", "sdp": sdp})

    def _on_openai_offer(self, sdp):
        agent = PionPeer(self.args.pion, f"{self.name}.agent{len(self.agents)}",
                         self.agent_args + ["--events-script", self._script_file()],
                         self.args.log_dir)
        self.agents.append(agent)
        agent.send({"type": "offer", "sdp": sdp})
        try:
            return agent.wait_sdp("answer", timeout=10)
        except E2EFailure as error:
            log(f"agent peer gave no answer: {error}")
            return None

    def _script_file(self):
        path = os.path.join(self.tmp, "openai-script.json")
        if not os.path.exists(path):
            with open(path, "w") as f:
                json.dump(self.openai_script, f)
        return path

    # -- webhooks

    def post_webhook(self, body, signature=None, headers=None):
        all_headers = {"Content-Type": "application/json",
                       "X-Hub-Signature-256": signature if signature is not None else sign(body)}
        all_headers.update(headers or {})
        if signature == "":
            del all_headers["X-Hub-Signature-256"]
        return http_request("POST", self.bridge.url("/webhook"), body, all_headers)

    def place_call(self, call_id, caller_args=None):
        """A caller peer, its WhatsApp-shaped offer in a signed connect webhook. Returns
        (caller, offer)."""
        caller = self.new_caller(call_id, caller_args)
        offer = caller.wait_sdp("offer")
        status, _, payload = self.post_webhook(connect_body(call_id, offer))
        self.expect(status == 200, "connect webhook answered 200", f"status {status} {payload[:200]!r}")
        return caller, offer

    def connected_call(self, call_id, caller_args=None):
        """place_call, then waits for accept and both legs connected. Returns (caller, agent)."""
        index = len(self.agents)
        caller, _ = self.place_call(call_id, caller_args)
        agent = self.agent(timeout=15, index=index)
        self.graph_action(call_id, "accept", timeout=20)
        caller.wait_event("connected", timeout=20)
        agent.wait_event("connected", timeout=20)
        return caller, agent

    def hang_up_caller(self, call_id, started):
        status, _, payload = self.post_webhook(terminate_body(call_id, started))
        self.expect(status == 200, "terminate webhook answered 200", f"status {status} {payload[:200]!r}")

    # -- waiting on Graph actions

    def graph_action(self, call_id, action, timeout):
        def found():
            if self.bridge and not self.bridge.alive():
                raise E2EFailure(f"wabridge exited (status {self.bridge.proc.returncode})")
            return [b for a, b in self.graph.actions() if a == action and b.get("call_id") == call_id]

        return wait_until(found, timeout, f"Graph action {action} for {call_id}")[0]

    def agent(self, timeout=15, index=0):
        """The agent peer of the index-th OpenAI call (0: the first of this harness)."""
        return wait_until(lambda: len(self.agents) > index and self.agents[index], timeout,
                          "the bridge's POST to OpenAI /realtime/calls (agent peer)")

    # -- checks

    def expect(self, ok, name, detail=""):
        self.checks.append((name, bool(ok), detail))
        mark = "ok  " if ok else "FAIL"
        log(f"{mark} {name}" + (f": {detail}" if detail and not ok else ""))
        return ok

    def require(self, ok, name, detail=""):
        """Like expect, but stops the scenario (later steps depend on it)."""
        if not self.expect(ok, name, detail):
            raise E2EFailure(f"{name}: {detail}")

    def check_media(self, caller, agent, direction_note=""):
        caller_report = caller.report()
        agent_report = agent.report()
        to_agent = int(agent_report.get("rtp_valid", 0))
        to_caller = int(caller_report.get("rtp_valid", 0))
        self.expect(to_agent >= MIN_VALID_RTP, "caller -> agent pattern RTP byte-identical",
                    f"{to_agent} valid of 100 (received {agent_report.get('rtp_received')})")
        self.expect(to_caller >= MIN_VALID_RTP, "agent -> caller pattern RTP byte-identical",
                    f"{to_caller} valid of 100 (received {caller_report.get('rtp_received')})")
        log(f"caller report {json.dumps(caller_report)}")
        log(f"agent report {json.dumps(agent_report)}")

    def run_media(self, caller, agent, seconds=8):
        """Both peers connected: let both send the 100 pattern packets and wait for both `done`
        (or `seconds`)."""
        caller.send({"type": "send_rtp"})
        agent.send({"type": "send_rtp"})
        try:
            wait_until(lambda: caller.event("done") and agent.event("done"), seconds,
                       "both peers to receive all 100 pattern packets")
        except E2EFailure as error:
            log(f"note: {error}; checking the reports")

    def check_stdout_is_json_lines(self):
        bad = [l for l in self.bridge.lines if l.strip() and not _is_log_object(l)]
        self.expect(not bad, "every wabridge stdout line is a JSON object with ts, level, event",
                    f"{len(bad)} bad, first: {bad[0][:200] if bad else ''}")

    # -- teardown

    def finish(self, error=None):
        """Stops everything, prints the verdict; returns the exit status."""
        for peer in list(self.callers.values()) + self.agents:
            peer.stop()
        if self.bridge and not self.bridge_checked:
            self.check_bridge_exit()
        self.graph.stop()
        self.openai.stop()
        failed = [c for c in self.checks if not c[1]]
        if error is not None or failed:
            self._dump(error)
            reasons = [f"{n}: {d}" if d else n for n, _, d in failed]
            if error is not None:
                reasons.append(str(error))
            print(f"FAIL {self.name}: " + "; ".join(reasons))
            return 1
        print(f"PASS {self.name} ({len(self.checks)} checks)")
        return 0

    def check_bridge_exit(self, expect_exited=False):
        """Stops wabridge and checks it ran until now (unless the test made it exit:
        expect_exited), died of nothing but our SIGTERM, and that no sanitizer complained (run the
        tests against a -DWAB_SANITIZE=ON build too)."""
        self.bridge_checked = True
        was_running = self.bridge.alive() or expect_exited
        killed = self.bridge.stop(grace=8.0)
        status = self.bridge.proc.returncode
        if killed:
            log("note: wabridge did not exit within 8 s of SIGTERM; killed")
        crash_signals = {-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGFPE,
                         -signal.SIGILL}
        self.expect(status not in crash_signals, "wabridge did not crash", f"exit status {status}")
        if not was_running:
            self.expect(False, "wabridge ran until the end of the test", f"exit status {status}")
        reports = [l for l in self.bridge.tail("stderr", 10**6)
                   if re.search(r"ERROR: (Address|Leak|Thread)Sanitizer|runtime error:", l)]
        self.expect(not reports, "no sanitizer report from wabridge", reports[0][:300] if reports else "")

    def _dump(self, error):
        if error is not None and not isinstance(error, E2EFailure):
            traceback.print_exception(type(error), error, error.__traceback__)
        print("--- Graph requests ---", file=sys.stderr)
        for request in self.graph.snapshot():
            print(f"  {request.describe()} {request.body[:160]!r}", file=sys.stderr)
        print("--- OpenAI requests ---", file=sys.stderr)
        for request in self.openai.snapshot():
            print(f"  {request.describe()} {request.headers.get('content-type')}", file=sys.stderr)
        for problem in self.openai.errors:
            print(f"  fake OpenAI refused: {problem}", file=sys.stderr)
        if self.bridge:
            print("--- wabridge stdout (tail) ---", file=sys.stderr)
            for line in self.bridge.tail("stdout", 80):
                print("  " + line[:400], file=sys.stderr)
            print("--- wabridge stderr (tail) ---", file=sys.stderr)
            for line in self.bridge.tail("stderr", 40):
                print("  " + line[:400], file=sys.stderr)
        for peer in list(self.callers.values()) + self.agents:
            print(f"--- {peer.label} stderr (tail) ---", file=sys.stderr)
            for line in peer.tail("stderr", 20):
                print("  " + line[:300], file=sys.stderr)


def _is_log_object(line):
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return isinstance(entry, dict) and all(k in entry for k in ("ts", "level", "event"))


def main(scenario, description, argv=None):
    """Runs `scenario(harness)` as a test script; exits with its status."""
    args = parse_args(sys.argv[1:] if argv is None else argv, description)
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    if args.case:  # each variant keeps its own output files
        name += "-" + args.case
    harness = Harness(args, name)

    def interrupted(signum, _frame):
        raise E2EFailure(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    error = None
    try:
        scenario(harness)
    except Exception as caught:  # E2EFailure or a harness bug: both fail the test
        error = caught
    sys.exit(harness.finish(error))
