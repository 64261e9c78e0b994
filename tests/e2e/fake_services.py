"""The fake Meta Graph API and OpenAI Realtime API: threaded HTTP servers on 127.0.0.1 that
record every request (path, headers, body) and answer like the real services."""

import email.parser
import email.policy
import http.server
import json
import re
import threading
import time
import traceback

from e2e_common import ACCESS_TOKEN, API_KEY, EPHEMERAL_KEY, OPENAI_CALL_ID, PHONE_NUMBER_ID


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers  # dict, lower-case names
        self.body = body
        self.at = time.monotonic()
        self.wall = time.time()  # to compare with the `ts` of wabridge's log lines
        # When the response began to go out (the far end cannot have it earlier) and when it was
        # written.
        self.replying_at = None
        self.replied_at = None
        self.status = None  # the response's status and headers, once written
        self.response_headers = {}

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
                request.status, request.response_headers = status, dict(extra_headers)
                request.replying_at = time.monotonic()
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
        # action -> seconds to wait before answering, failures too (Meta can be slow)
        self.delay_actions = {}
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
            time.sleep(self.delay_actions.get(action, 0))
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
        # Failure switches for the end-path tests, all persistent:
        self.fail_secrets = None  # (status, json body): every client_secrets request fails
        self.stall_calls = False  # calls POSTs get no answer until stop() (a hung OpenAI)
        self.delay_calls = 0  # seconds a created call's 201 takes (a slow OpenAI)
        # answer SDP -> (content type, body) of the 201: an unusable answer (Location still set)
        self.mangle_answer = None
        self.released = threading.Event()  # set by stop(): stalled requests may go
        super().__init__()

    def stop(self):
        self.released.set()
        super().stop()

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
            if self.fail_secrets:
                status, payload = self.fail_secrets
                return status, {}, payload
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
            if self.stall_calls:
                self.released.wait()
                return 504, {}, {"error": {"message": "stalled by the test"}}
            if not sdp.startswith("v=0"):
                return self._error(400, "Invalid SDP offer. Please try again with a WHIP-compliant offer.")
            call_id = openai_call_id(len(self.offers) - 1)
            answer = self.on_offer(sdp) if self.on_offer else None
            if not answer:
                return self._error(500, "the agent peer gave no answer")
            content_type = "application/sdp"
            if self.mangle_answer:
                content_type, answer = self.mangle_answer(answer)
            if self.delay_calls:
                self.released.wait(self.delay_calls)
            return 201, {"Content-Type": content_type,
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

    def hangup_ids(self):
        """The call ids of the hangup requests, in arrival order."""
        return [r.path.split("?")[0].split("/")[-2] for r in self.hangups()]

    def created_ids(self):
        """The call ids this fake answered 201 for (a Location went out)."""
        out = []
        for request in self.snapshot():
            location = request.response_headers.get("Location", "")
            if request.path.split("?")[0] == "/v1/realtime/calls" and request.status == 201:
                out.append(location.rsplit("/", 1)[-1])
        return out

    def count(self, what):
        """How many requests of a kind arrived: "client_secrets", "calls" or "hangup"."""
        paths = {"client_secrets": lambda p: p == "/v1/realtime/client_secrets",
                 "calls": lambda p: p == "/v1/realtime/calls",
                 "hangup": lambda p: p.endswith("/hangup")}
        return sum(1 for r in self.snapshot() if paths[what](r.path.split("?")[0]))
