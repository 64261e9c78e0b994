"""End-to-end harness for wabridge: real processes, fake Meta and OpenAI HTTP services.

The caller (WhatsApp side) and the agent (OpenAI side) are WebRTC stacks no one here wrote: the
Pion interop peer (tests/interop/pion), driven over its JSON-lines protocol (docs/INTEROP.md plus
the e2e switches of control.go). The Graph API and the OpenAI API are small HTTP servers in this
process that record every request. Each test script builds a `Harness`, runs one scenario and
exits 0 on pass, 1 on failure (printing what it saw).

Standard library only; run with the system Python.
"""

import argparse
import ctypes
import email.parser
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

# Distinctive values so a leak is easy to grep for (test_secrets.py).
ACCESS_TOKEN = "EAAe2eAccessTok3n7QxWvZ91"
APP_SECRET = "e2eAppS3cret5b1c0ffee77aa"
VERIFY_TOKEN = "e2e-verify-token-42"
API_KEY = "sk-e2e-ApiK3y-9f8e7d6c5b4a"
EPHEMERAL_KEY = "ek_e2e_Eph3meralK3y_1a2b3c"
SECRETS = {
    "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
    "WHATSAPP_APP_SECRET": APP_SECRET,
    "OPENAI_API_KEY": API_KEY,
    "ephemeral key": EPHEMERAL_KEY,
}

PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
CALLER_WA_ID = "15551441906"
BUSINESS_NUMBER = "15550783881"
OPENAI_CALL_ID = "rtc_test123"
MIN_VALID_RTP = 95
STDERR_TAIL_LINES = 60


class E2EFailure(Exception):
    pass


def log(text):
    print(f"[e2e {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    """Polls `predicate` until it returns something truthy; raises E2EFailure on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise E2EFailure(f"timeout ({timeout:g} s) waiting for {what}")
        time.sleep(0.05)


def sign(body, secret=APP_SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _die_with_parent():
    try:  # SIGTERM to the child if this process dies (even by SIGKILL from ctest)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


# --- fake HTTP services ------------------------------------------------------------------------


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers  # dict, lower-case names
        self.body = body
        self.at = time.monotonic()
        self.replied_at = None  # when the response was written

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def bearer(self):
        value = self.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None

    def describe(self):
        return f"{self.method} {self.path} ({len(self.body)} B)"


class FakeService:
    """A threaded HTTP server on 127.0.0.1 that records requests and hands them to `route`."""

    name = "service"

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _read_body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return body
                        body += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self):
                body = self._read_body()
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(self.command, self.path, headers, body)
                with service.lock:
                    service.requests.append(request)
                try:
                    status, extra_headers, payload = service.route(request)
                except Exception:  # a harness bug: make it visible, answer 500
                    traceback.print_exc()
                    status, extra_headers, payload = 500, {}, b'{"error":"harness"}'
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                    extra_headers.setdefault("Content-Type", "application/json")
                elif isinstance(payload, str):
                    payload = payload.encode()
                self.send_response(status)
                for key, value in extra_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                request.replied_at = time.monotonic()

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeGraph(FakeService):
    """Graph API: POST /v24.0/{phone_number_id}/calls. `on_action(action, body)` is called for each
    well-formed call action before the 200 goes out (the harness hands the SDP answer to the
    caller there)."""

    name = "graph"

    def __init__(self):
        self.on_action = None
        self.fail_actions = {}  # action -> (status, json body), to simulate Graph errors
        self.delay_actions = {}  # action -> seconds to wait before answering (Meta can be slow)
        super().__init__()

    def route(self, request):
        if request.method != "POST" or request.path != f"/v24.0/{PHONE_NUMBER_ID}/calls":
            return 404, {}, {"error": {"message": "unknown path", "code": 100}}
        if request.bearer() != ACCESS_TOKEN:
            return 401, {}, {"error": {"message": "Invalid OAuth access token", "code": 190}}
        try:
            body = request.json()
        except ValueError:
            return 400, {}, {"error": {"message": "body is not JSON", "code": 100}}
        action = body.get("action")
        if action in self.fail_actions:
            status, payload = self.fail_actions[action]
            return status, {}, payload
        if self.on_action:
            self.on_action(action, body)
        if action in self.delay_actions:
            time.sleep(self.delay_actions[action])
        return 200, {}, {"messaging_product": "whatsapp", "success": True}

    def requests_for(self, call_id, action):
        out = []
        for request in self.snapshot():
            try:
                body = request.json()
            except ValueError:
                continue
            if body.get("call_id") == call_id and body.get("action") == action:
                out.append(request)
        return out

    def actions(self):
        """[(action, body)] of the well-formed call actions, in arrival order."""
        out = []
        for request in self.snapshot():
            if request.path.endswith("/calls") and request.method == "POST":
                try:
                    body = request.json()
                except ValueError:
                    continue
                out.append((body.get("action"), body))
        return out


def openai_call_id(index):
    """The id the fake OpenAI gives its index-th call: rtc_test123, then rtc_test123_1, ..."""
    return OPENAI_CALL_ID if index == 0 else f"{OPENAI_CALL_ID}_{index}"


def parse_multipart(content_type, body):
    """{name: (content_type, bytes)} of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (part.get_content_type(), part.get_payload(decode=True) or b"")
    return parts


class FakeOpenAI(FakeService):
    """OpenAI Realtime GA: client_secrets, calls (multipart with the API key or raw SDP with the
    minted ek_ key), calls/{id}/hangup. `on_offer(sdp)` returns the SDP answer (the agent peer's)."""

    name = "openai"

    def __init__(self):
        self.on_offer = None
        self.offers = []  # (kind "multipart"|"sdp", sdp text, session dict or None)
        self.secret_sessions = []  # the `session` objects of client_secrets requests
        self.errors = []  # what was wrong with a request (the test reports these)
        self.fail_calls = None  # (status, json body): answer the next calls POST with an error
        super().__init__()

    def _error(self, status, message):
        self.errors.append(message)
        return status, {}, {"error": {"message": message, "type": "invalid_request_error"}}

    def route(self, request):
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/v1/realtime/client_secrets":
            if request.bearer() != API_KEY:
                return self._error(401, "client_secrets without the API key")
            try:
                body = request.json()
            except ValueError:
                return self._error(400, "client_secrets body is not JSON")
            if not isinstance(body.get("session"), dict):
                return self._error(400, "client_secrets body has no session object")
            self.secret_sessions.append(body["session"])
            session = dict(body["session"], id="sess_e2e", object="realtime.session")
            return 200, {}, {"value": EPHEMERAL_KEY, "expires_at": int(time.time()) + 600,
                             "session": session}
        if request.method == "POST" and path == "/v1/realtime/calls":
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("multipart/form-data"):
                if request.bearer() != API_KEY:
                    return self._error(401, "multipart calls request without the API key")
                try:
                    parts = parse_multipart(content_type, request.body)
                except ValueError as error:
                    return self._error(400, f"bad multipart body: {error}")
                if "sdp" not in parts or "session" not in parts:
                    return self._error(400, f"multipart parts {sorted(parts)}: need sdp and session")
                try:
                    session = json.loads(parts["session"][1].decode())
                except ValueError:
                    return self._error(400, "the session part is not JSON")
                sdp = parts["sdp"][1].decode()
                self.offers.append(("multipart", sdp, session, parts))
            elif content_type.split(";")[0].strip() == "application/sdp":
                if request.bearer() != EPHEMERAL_KEY:
                    return self._error(401, "raw SDP calls request without the minted ek_ key")
                sdp = request.body.decode()
                self.offers.append(("sdp", sdp, None, None))
            else:
                return self._error(400, f"unexpected Content-Type {content_type!r}")
            if self.fail_calls:
                status, payload = self.fail_calls
                self.fail_calls = None
                return status, {}, payload
            if not sdp.startswith("v=0"):
                return self._error(400, "Invalid SDP offer. Please try again with a WHIP-compliant offer.")
            answer = self.on_offer(sdp) if self.on_offer else None
            if not answer:
                return self._error(500, "the agent peer gave no answer")
            call_id = openai_call_id(len(self.offers) - 1)
            return 201, {"Content-Type": "application/sdp",
                         "Location": f"/v1/realtime/calls/{call_id}"}, answer
        match = re.fullmatch(r"/v1/realtime/calls/([^/]+)/hangup", path)
        if request.method == "POST" and match:
            if request.bearer() not in (API_KEY, EPHEMERAL_KEY):
                return self._error(401, "hangup without a key")
            if match.group(1) not in [openai_call_id(i) for i in range(len(self.offers))]:
                return self._error(404, f"hangup of unknown call {match.group(1)}")
            return 200, {}, b""
        return self._error(404, f"unknown request {request.method} {request.path}")

    def hangups(self):
        return [r for r in self.snapshot() if r.path.split("?")[0].endswith("/hangup")]


# --- processes ----------------------------------------------------------------------------------


class Process:
    """A child with stdout lines collected (JSON parsed where possible) and a stderr tail."""

    def __init__(self, label, argv, env=None, stdout_file=None, stderr_file=None, stdin=True):
        self.label = label
        self.argv = argv
        self.lines = []  # raw stdout lines
        self.json = []  # parsed stdout JSON objects
        self.stderr_lines = []
        self.lock = threading.Lock()
        self.stdout_file = stdout_file
        self.stderr_file = stderr_file
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            # PR_SET_PDEATHSIG fires when the spawning *thread* ends: only the main thread
            # lives long enough. Peers started in a request thread exit at stdin EOF instead.
            preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
        )
        self.readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read_stdout(self):
        sink = open(self.stdout_file, "ab") if self.stdout_file else None
        for raw in self.proc.stdout:
            if sink:
                sink.write(raw)
                sink.flush()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            parsed = None
            try:
                parsed = json.loads(line)
            except ValueError:
                pass
            with self.lock:
                self.lines.append(line)
                if isinstance(parsed, dict):
                    parsed["_t"] = time.monotonic()  # when it was read
                    self.json.append(parsed)
        if sink:
            sink.close()

    def _read_stderr(self):
        sink = open(self.stderr_file, "ab") if self.stderr_file else None
        for raw in self.proc.stderr:
            if sink:
                sink.write(raw)
                sink.flush()
            with self.lock:
                self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip())
        if sink:
            sink.close()

    def events(self):
        with self.lock:
            return list(self.json)

    def send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, AttributeError):
            pass

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` seconds; waits for the output readers."""
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait(timeout=5)
        for reader in self.readers:
            reader.join(timeout=2)

    def tail(self, stream="stderr", count=STDERR_TAIL_LINES):
        with self.lock:
            lines = self.stderr_lines if stream == "stderr" else self.lines
            return lines[-count:]


class PionPeer(Process):
    """The Pion interop peer with the e2e switches (--rtp-on-command --states always on)."""

    def __init__(self, pion, label, args, log_dir):
        argv = [pion] + args + ["--rtp-on-command", "--states", "--name", label]
        super().__init__(label, argv, stderr_file=os.path.join(log_dir, f"{label}.stderr"))

    def find(self, predicate):
        return [e for e in self.events() if predicate(e)]

    def event(self, name):
        return self.find(lambda e: e.get("type") == "event" and e.get("event") == name)

    def wait_event(self, name, timeout):
        self._check_failure()
        return wait_until(lambda: self._check_failure() or self.event(name), timeout,
                          f"{self.label}: event {name}")[0]

    def _check_failure(self):
        failed = self.event("failed")
        if failed:
            raise E2EFailure(f"{self.label} failed: {failed[0].get('reason')}")
        if not self.alive() and not self.find(lambda e: e.get("type") == "report"):
            raise E2EFailure(f"{self.label} exited with status {self.proc.returncode}")
        return None

    def wait_sdp(self, kind, timeout=15):
        found = wait_until(
            lambda: self._check_failure() or self.find(lambda e: e.get("type") == kind),
            timeout, f"{self.label}: its {kind}")
        return found[0]["sdp"]

    def dc_messages(self):
        """Parsed JSON text messages the peer received on its data channel."""
        out = []
        for e in self.event("dc_message"):
            try:
                out.append(json.loads(e.get("text", "")))
            except ValueError:
                out.append({"type": "__not_json__", "text": e.get("text")})
        return out

    def states(self):
        return [e.get("state") for e in self.event("state")]

    def report(self, timeout=10):
        """Asks for the report (`close`) and returns it."""
        existing = self.find(lambda e: e.get("type") == "report")
        if existing:
            return existing[0]
        self.send({"type": "close"})
        return wait_until(lambda: self.find(lambda e: e.get("type") == "report"), timeout,
                          f"{self.label}: its report")[0]


class Bridge(Process):
    def __init__(self, wabridge, env, log_dir, name):
        self.http_port = int(env["PORT"])
        super().__init__(
            "wabridge", shlex.split(wabridge), env=env, stdin=False,
            stdout_file=os.path.join(log_dir, f"{name}.bridge.stdout"),
            stderr_file=os.path.join(log_dir, f"{name}.bridge.stderr"))

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def wait_healthy(self, timeout=15):
        def healthy():
            if not self.alive():
                raise E2EFailure(f"wabridge exited at start with status {self.proc.returncode}")
            try:
                status, _, _ = http_request("GET", self.url("/healthz"), timeout=1)
                return status == 200
            except OSError:
                return False

        wait_until(healthy, timeout, "wabridge /healthz")

    def logs(self, event=None, **fields):
        out = []
        for entry in self.events():
            if event is not None and entry.get("event") != event:
                continue
            if all(entry.get(k) == v for k, v in fields.items()):
                out.append(entry)
        return out

    def wait_log(self, event, timeout, **fields):
        def found():
            if not self.alive():
                raise E2EFailure(f"wabridge exited (status {self.proc.returncode}) "
                                 f"while waiting for log event {event}")
            return self.logs(event, **fields)

        return wait_until(found, timeout, f"wabridge log event {event} {fields or ''}")[0]


def http_request(method, url, body=None, headers=None, timeout=5):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


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
    parser.add_argument("--log-dir", default=os.environ.get("E2E_LOG_DIR", "e2e-logs"),
                        help="where process output goes (test_secrets.py scans it)")
    parser.add_argument("-v", "--verbose", action="store_true", help="echo wabridge's output")
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
        self.callers = {}  # call id -> caller PionPeer
        self.answered = {}  # call id -> the SDP handed to the caller
        self.agents = []
        self.agent_args = ["--role", "answer", "--lite", "--setup", "active"]
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
        self.bridge = Bridge(self.args.wabridge, env, self.args.log_dir, self.name)
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
                json.dump(OPENAI_SCRIPT, f)
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
        if self.bridge:
            self.bridge.stop()
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
