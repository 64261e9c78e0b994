#!/usr/bin/python3
"""A stand-in for wabridge that proves the e2e harness itself (test_harness_selftest.py).

It speaks wabridge's outer contract (env config, /webhook, /healthz, /metrics, Graph actions,
OpenAI signalling, JSON log lines) but bridges nothing: each leg ends in its own Pion peer, which
sends the same pattern RTP the harness peers expect. So a pass here says the harness, the fake
services and the peers work together; it says nothing about wabridge.

Usage: the environment variables of wabridge (PORT, WHATSAPP_*, OPENAI_*) plus WAB_E2E_PION.
Set WAB_E2E_STANDIN_BREAK=<what> to make it misbehave, so the self-test can show the harness
fails: `signature` (accepts bad signatures), `accept-sdp` (accept differs from pre_accept),
`leak` (prints the API key on stderr), `no-hangup` (ignores the caller's terminate),
`no-transcript` (logs no transcripts).
"""

import hashlib
import hmac
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ENV = os.environ
PION = ENV["WAB_E2E_PION"]
BREAK = ENV.get("WAB_E2E_STANDIN_BREAK", "")
LOCK = threading.Lock()


def emit(event, level="info", **fields):
    entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "event": event}
    entry.update(fields)
    with LOCK:
        sys.stdout.write(json.dumps(entry) + "\n")
        sys.stdout.flush()


def post(url, body, headers):
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Leg:
    """A Pion peer that ends one leg."""

    def __init__(self, args, on_event):
        self.proc = subprocess.Popen([PION] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=sys.stderr)
        self.on_event = on_event
        self.sdp = {}
        self.ready = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("type") in ("offer", "answer"):
                with self.ready:
                    self.sdp[message["type"]] = message["sdp"]
                    self.ready.notify_all()
            else:
                self.on_event(message)

    def wait_sdp(self, kind):
        with self.ready:
            self.ready.wait_for(lambda: kind in self.sdp, timeout=10)
            return self.sdp.get(kind)

    def send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def stop(self):
        self.send({"type": "hangup"})
        time.sleep(0.2)
        self.proc.terminate()


class Call:
    def __init__(self, call_id, phone_number_id, offer):
        self.call_id = call_id
        self.phone = phone_number_id
        self.offer = offer
        self.openai_id = None
        self.ended = False
        self.whatsapp = None
        self.agent = None

    def graph(self, action, sdp=None):
        body = {"messaging_product": "whatsapp", "call_id": self.call_id, "action": action}
        if sdp is not None:
            body["session"] = {"sdp_type": "answer", "sdp": sdp}
        status, _, _ = post(f"{ENV['WHATSAPP_GRAPH_URL']}/{self.phone}/calls", json.dumps(body).encode(),
                            {"Authorization": "Bearer " + ENV["WHATSAPP_ACCESS_TOKEN"],
                             "Content-Type": "application/json"})
        emit("graph_action", call_id=self.call_id, action=action, status=status)
        return status

    def start(self):
        if not ENV.get("OPENAI_API_KEY"):
            self.graph("reject")
            self.end("no_agent")
            return
        self.whatsapp = Leg(["--role", "answer", "--setup", "active", "--loopback"], self.on_whatsapp)
        # This Pion answers only when the Opus fmtp equals its own (the caller peer maps it back).
        offer = re.sub(r"a=fmtp:(\d+) [^\r\n]*maxaveragebitrate[^\r\n]*",
                       r"a=fmtp:\1 minptime=10;useinbandfec=1", self.offer)
        self.whatsapp.send({"type": "offer", "sdp": offer})
        self.answer = self.whatsapp.wait_sdp("answer")
        self.graph("pre_accept", self.answer)
        threading.Thread(target=self.open_agent, daemon=True).start()

    def open_agent(self):
        session = {"type": "realtime", "model": ENV.get("OPENAI_MODEL", "gpt-realtime-2.1"),
                   "instructions": "Be brief.",
                   "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"},
                                       "turn_detection": {"type": "server_vad",
                                                          "silence_duration_ms": 200}},
                             "output": {"voice": ENV.get("OPENAI_VOICE", "alloy")}}}
        script = [{"on": "session.created", "send": [{"type": "session.update", "session": session}]},
                  {"on": "session.updated", "send": [{"type": "response.create"}]}]
        path = os.path.join(tempfile.mkdtemp(), "script.json")
        with open(path, "w") as f:
            json.dump(script, f)
        self.agent = Leg(["--role", "offer", "--data", "--loopback", "--dc-label", "oai-events",
                          "--events-script", path, "--states"], self.on_agent)
        offer = self.agent.wait_sdp("offer")
        base = ENV.get("OPENAI_BASE_URL", "")
        if ENV.get("OPENAI_AUTH", "apikey") == "ephemeral":
            status, _, body = post(f"{base}/realtime/client_secrets", json.dumps(
                {"expires_after": {"anchor": "created_at", "seconds": 600}, "session": session}).encode(),
                {"Authorization": "Bearer " + ENV["OPENAI_API_KEY"], "Content-Type": "application/json"})
            key = json.loads(body)["value"]
            status, headers, body = post(f"{base}/realtime/calls", offer.encode(),
                                         {"Authorization": "Bearer " + key,
                                          "Content-Type": "application/sdp"})
        else:
            boundary = uuid.uuid4().hex
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"sdp\"\r\n"
                    f"Content-Type: application/sdp\r\n\r\n{offer}\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"session\"\r\n"
                    f"Content-Type: application/json\r\n\r\n{json.dumps(session)}\r\n"
                    f"--{boundary}--\r\n").encode()
            status, headers, body = post(f"{base}/realtime/calls", body, {
                "Authorization": "Bearer " + ENV["OPENAI_API_KEY"],
                "Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status != 201:
            emit("openai_failed", level="error", call_id=self.call_id, status=status)
            self.graph("terminate")
            self.end("agent_failed")
            return
        self.openai_id = headers.get("Location", "").rstrip("/").split("/")[-1]
        self.agent.send({"type": "answer", "sdp": body.decode()})

    def on_whatsapp(self, message):
        if message.get("event") == "connected":
            leg_connected(self.call_id, "whatsapp", "caller")
            sdp = self.answer if BREAK != "accept-sdp" else self.answer.replace("s=-", "s=x")
            self.graph("accept", sdp)

    def on_agent(self, message):
        event = message.get("event")
        if event == "connected":
            leg_connected(self.call_id, "agent", "agent")
        elif event == "dc_message":
            try:
                data = json.loads(message["text"])
            except ValueError:
                return
            kind = data.get("type") if BREAK != "no-transcript" else None
            if kind == "conversation.item.input_audio_transcription.completed":
                emit("transcript", call_id=self.call_id, speaker="caller", text=data.get("transcript"))
            elif kind in ("response.output_audio_transcript.done", "response.audio_transcript.done"):
                emit("transcript", call_id=self.call_id, speaker="agent", text=data.get("transcript"))
        elif (event == "state" and message.get("state") in ("disconnected", "failed", "closed")) or \
                event == "dc_closed":
            if not self.ended:
                self.graph("terminate")
                self.end("agent_hangup")

    def hang_up(self):
        if BREAK == "no-hangup":
            return
        if self.openai_id:
            post(f"{ENV['OPENAI_BASE_URL']}/realtime/calls/{self.openai_id}/hangup", b"",
                 {"Authorization": "Bearer " + ENV["OPENAI_API_KEY"]})
        self.end("caller_hangup")

    def end(self, cause):
        if self.ended:
            return
        self.ended = True
        emit("call_ended", call_id=self.call_id, cause=cause)
        for leg in (self.whatsapp, self.agent):
            if leg:
                threading.Thread(target=leg.stop, daemon=True).start()


CALLS = {}
LEGS_CONNECTED = {}  # metrics leg name -> count


def leg_connected(call_id, leg, metric_leg):
    # Each stand-in leg is a Pion peer with only a loopback UDP host candidate.
    with LOCK:
        LEGS_CONNECTED[metric_leg] = LEGS_CONNECTED.get(metric_leg, 0) + 1
    emit("leg_connected", call_id=call_id, leg=leg, local_candidate="host", remote_candidate="host")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/healthz":
            return self.reply(200, b"ok")
        if url.path == "/metrics":
            with LOCK:
                legs = "".join(f'wabridge_legs_connected_total{{leg="{leg}",candidate="host"}} {n}\n'
                               for leg, n in LEGS_CONNECTED.items())
            return self.reply(200, f"wabridge_calls_total {len(CALLS)}\n{legs}".encode())
        if url.path == "/webhook":
            if query.get("hub.mode") == "subscribe" and \
                    query.get("hub.verify_token") == ENV["WHATSAPP_VERIFY_TOKEN"]:
                return self.reply(200, query.get("hub.challenge", "").encode())
            return self.reply(403)
        self.reply(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/webhook":
            return self.reply(404)
        want = "sha256=" + hmac.new(ENV["WHATSAPP_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, self.headers.get("X-Hub-Signature-256", "")) and BREAK != "signature":
            emit("webhook_rejected", level="warn", reason="bad signature")
            return self.reply(403)
        self.reply(200)
        payload = json.loads(body)
        for entry in payload.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                phone = value.get("metadata", {}).get("phone_number_id")
                for item in value.get("calls", []):
                    if item.get("event") == "connect":
                        call = Call(item["id"], phone, item["session"]["sdp"])
                        CALLS[item["id"]] = call
                        emit("call_started", call_id=item["id"])
                        threading.Thread(target=call.start, daemon=True).start()
                    elif item.get("event") == "terminate" and item["id"] in CALLS:
                        threading.Thread(target=CALLS[item["id"]].hang_up, daemon=True).start()

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer((ENV.get("HTTP_HOST", "0.0.0.0"), int(ENV["PORT"])), Handler)
    server.daemon_threads = True
    emit("listening", port=int(ENV["PORT"]))
    if BREAK == "leak":
        print(f"config: key {ENV.get('OPENAI_API_KEY')}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
