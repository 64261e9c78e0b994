#!/usr/bin/python3
"""The browser softphone in headless Chromium: wabridge (with ADMIN_TOKEN) and openaisim on
loopback, no Meta at all (tools/sim). POST /softphone/call refuses a missing or wrong token (401);
softphone.js signs in on the page, presses Call with Chromium's fake microphone, and the call
must connect, the page must receive the agent's audio and show an agent transcript line, and Hang
up must end it. wabridge must log the call as SOFTPHONE with no Graph request, openaisim must have
seen exactly one call, created with the instructions of the business number the page chose (a
recording HTTP relay between wabridge and openaisim reads them), configured and hung up.
Screenshots land in the log directory.

    test_softphone.py --wabridge PATH --sims DIR --log-dir DIR --reply-audio OGG [--node PATH]

Exits 77 (skipped) when tests/browser/node_modules or chromium is missing.
"""

import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim_harness"))
from checks import check, log, verdict  # noqa: E402
from simprocs import (Child, free_ports, media_range, require_executables,  # noqa: E402
                      stop_wabridge, wabridge_env, wait_started, wait_until)

API_KEY = "sk-soft-not-a-key"
NUMBER = "15550001111"
PROMPT = "SOFTPHONE-PROFILE-PROMPT: you take table reservations."
CONFIG = f"""[agent]
instructions = "the default profile, not the chosen number's"

[numbers."{NUMBER}"]
instructions = "{PROMPT}"
"""
ADMIN_TOKEN = "soft-admin-Token-0123456789"
SKIP = 77


def post(url, body, headers=None, timeout=5):
    """(status, body text); (0, error) on a transport error."""
    req = urllib.request.Request(url, method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, str(e)


class Relay(http.server.ThreadingHTTPServer):
    """Passes wabridge's OpenAI requests on to openaisim unchanged and keeps them: openaisim does
    not log the session a call was created with."""

    daemon_threads = True

    def __init__(self, target):
        self.target, self.requests = target, []
        super().__init__(("127.0.0.1", 0), RelayHandler)


class RelayHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append((self.path, body))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(self.server.target + self.path, data=body, method="POST",
                                     headers=headers)
        try:
            r = urllib.request.urlopen(req, timeout=20)
        except urllib.error.HTTPError as e:
            r = e
        with r:
            data = r.read()
            self.send_response(r.status)
            for k in ("Content-Type", "Location"):
                if r.headers.get(k):
                    self.send_header(k, r.headers[k])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, *args):
        pass


def get_json(url, token):
    """(status, parsed body or {}) of a GET with the Bearer token."""
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except (OSError, ValueError) as e:
        return getattr(e, "code", 0), {}


def api_checks(base):
    """No session, no call: 401 for a missing or wrong token; a hang-up of nothing is 404."""
    for path in ("/softphone/call", "/softphone/hangup"):
        status, _ = post(base + path, {"sdp": "v=0", "call_id": "x"})
        check(status == 401, f"POST {path} without a token: 401", status)
        status, _ = post(base + path, {"sdp": "v=0", "call_id": "x"},
                         {"Authorization": "Bearer wrong"})
        check(status == 401, f"POST {path} with a wrong token: 401", status)
    bearer = {"Authorization": "Bearer " + ADMIN_TOKEN}
    status, _ = post(base + "/softphone/call", {"phone_number_id": "1"}, bearer)
    check(status == 400, "POST /softphone/call without an offer: 400", status)
    status, _ = post(base + "/softphone/hangup", {"call_id": "softphone-none"}, bearer)
    check(status == 404, "POST /softphone/hangup of no call: 404", status)


def run_browser(node, base, out_dir):
    """Runs softphone.js; returns its messages."""
    proc = subprocess.Popen([node, os.path.join(HERE, "softphone.js"), "--url", base,
                             "--token", ADMIN_TOKEN, "--out", out_dir, "--number", NUMBER],
                            stdout=subprocess.PIPE,
                            stderr=open(os.path.join(out_dir, "browser.stderr"), "wb"),
                            stdin=subprocess.DEVNULL, text=True)
    messages = []
    timer = threading.Timer(100, proc.kill)  # bounds a hung browser; ctest's timeout is 120 s
    timer.start()
    try:
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            messages.append(msg)
            if "check" in msg:
                check(msg["ok"], "page: " + msg["check"], msg.get("detail", ""))
        proc.wait()
    finally:
        timer.cancel()
    check(proc.returncode == 0 and any(m.get("done") for m in messages),
          "the browser script finished", f"exit {proc.returncode}")
    return messages


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wabridge", required=True)
    p.add_argument("--sims", required=True)
    p.add_argument("--log-dir", required=True)
    p.add_argument("--reply-audio", required=True, help="Ogg Opus the agent speaks")
    p.add_argument("--node", default=shutil.which("node") or "node")
    a = p.parse_args()
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        log("SKIP: tests/browser/node_modules is missing: run `npm ci` in tests/browser")
        return SKIP
    if not os.path.exists(os.environ.get("WAB_CHROMIUM", "/usr/bin/chromium")):
        log("SKIP: no chromium at /usr/bin/chromium (set WAB_CHROMIUM)")
        return SKIP
    openaisim = os.path.join(a.sims, "openaisim")
    require_executables(a.wabridge, openaisim)
    shutil.rmtree(a.log_dir, ignore_errors=True)
    os.makedirs(a.log_dir)

    # The Graph port is never listened on: a softphone call must not need Meta.
    port_bridge, port_graph, port_openai = free_ports(3)
    base = f"http://127.0.0.1:{port_bridge}"
    secrets = {"WHATSAPP_ACCESS_TOKEN": "soft-access-token", "WHATSAPP_APP_SECRET": "soft-secret",
               "WHATSAPP_VERIFY_TOKEN": "soft-verify-token", "OPENAI_API_KEY": API_KEY}
    oai = Child("openaisim", [openaisim, "--listen", f"127.0.0.1:{port_openai}",
                              "--api-key", API_KEY, "--reply-audio", a.reply_audio,
                              # Chromium's fake microphone beeps; openaisim's VAD (payload size)
                              # would take that for a caller talking over the greeting and cut it
                              # before its transcript is done. Here nothing counts as speech.
                              "--vad-speech-bytes", "100000"], a.log_dir)
    relay = Relay(f"http://127.0.0.1:{port_openai}")
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    env = wabridge_env(port_bridge, port_graph, relay.server_address[1], media_range(100),
                       {**secrets, "ADMIN_TOKEN": ADMIN_TOKEN}, drain_grace=5)
    config = os.path.join(a.log_dir, "wabridge.toml")
    with open(config, "w") as f:
        f.write(CONFIG)
    bridge = Child("wabridge", [a.wabridge, "--config", config], a.log_dir, env=env)
    children = [oai, bridge]
    try:
        wait_started(oai, port_openai, bridge, base)
        api_checks(base)
        messages = run_browser(a.node, base, a.log_dir)
        shown = [m["call_id"] for m in messages if "call_id" in m]

        started = bridge.events("call_started")
        check(len(started) == 1 and started[0].get("direction") == "SOFTPHONE",
              "wabridge logged one call_started with direction SOFTPHONE", started)
        wait_until(lambda: bridge.events("call_ended"), 10)
        ended = bridge.events("call_ended")
        if check(len(ended) == 1, "wabridge logged one call_ended", len(ended)):
            e = ended[0]
            check(shown == [e.get("call_id")] and e.get("call_id", "").startswith("softphone-"),
                  "the page's call is the one wabridge ended", (shown, e.get("call_id")))
            check(e.get("cause") == "softphone_hung_up" and e.get("graph_action") == "none",
                  "its cause is softphone_hung_up with no Graph action",
                  (e.get("cause"), e.get("graph_action")))
            check(e.get("forwarded_to_agent", 0) > 0 and e.get("forwarded_to_caller", 0) > 0,
                  "media was forwarded both ways",
                  (e.get("forwarded_to_agent"), e.get("forwarded_to_caller")))
            status, body = get_json(base + "/api/calls", ADMIN_TOKEN)
            recent = body.get("recent", []) if status == 200 else []
            check(len(recent) == 1 and recent[0].get("call_id") == e.get("call_id") and
                  recent[0].get("direction") == "softphone" and
                  recent[0].get("cause") == "softphone_hung_up" and
                  any(ln.get("speaker") == "agent" for ln in recent[0].get("transcript", [])),
                  "the dashboard lists it as a softphone call with its cause and transcript",
                  recent[:1])
        check(bridge.events("transcript") and
              any(t.get("speaker") == "agent" for t in bridge.events("transcript")),
              "wabridge logged an agent transcript line")
        check(not bridge.events("graph_action_failed"), "wabridge made no Graph request")
        check(bridge.events("softphone_pre_accept") and bridge.events("softphone_accept")
              and not bridge.events("graph_pre_accept") and not bridge.events("graph_accept"),
              "its steps are logged as local ones (softphone_*), none as Meta's (graph_*)")

        created = oai.events("call_created")
        check(len(created) == 1, "openaisim saw exactly one call", len(created))
        creations = [body for path, body in relay.requests if path.endswith("/realtime/calls")]
        check(len(creations) == 1 and PROMPT.encode() in creations[0],
              "the agent session was created with the chosen number's instructions",
              [b[:300] for b in creations])
        check(wait_until(lambda: oai.events("hangup_request"), 10),
              "openaisim saw the agent session hung up")
        updates = [ev for ev in oai.events("event_received") if ev.get("type") == "session.update"]
        check(updates, "wabridge configured the agent session (session.update)")
        shots = sorted(f for f in os.listdir(a.log_dir) if f.endswith(".png"))
        check(len(shots) >= 4, "screenshots saved", shots)

        oai.stop()
        rc, sanitizer = stop_wabridge(bridge, 15)
        check(rc == 0 and not sanitizer, "wabridge exits 0 on SIGTERM without a sanitizer report",
              f"status {rc}: " + " | ".join((sanitizer or bridge.stderr_tail())[:8]))
        leaked = [f for f in os.listdir(a.log_dir) if not f.endswith(".png") and
                  ADMIN_TOKEN in open(os.path.join(a.log_dir, f), errors="replace").read()]
        check(not leaked, "the admin token appears in no log", leaked)
    finally:
        for c in children:
            c.stop(grace=3)
        relay.shutdown()
    return verdict("browser_softphone", f"logs and screenshots in {a.log_dir}")


if __name__ == "__main__":
    sys.exit(main())
