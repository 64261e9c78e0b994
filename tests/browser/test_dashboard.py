#!/usr/bin/python3
"""The live dashboard in headless Chromium: wabridge (with ADMIN_TOKEN) between metasim and
openaisim on loopback (tools/sim). The API refuses a missing or wrong token (401); dashboard.js
signs in on the page, then one simulated call must appear live with its timeline, packet rate and
an agent transcript line, and after the caller hangs up move to the recent list with its cause.
The API's own listing must agree with wabridge's call_ended log, and the token must appear in no
log. Last, wabridge without ADMIN_TOKEN: the dashboard is 404 and the start log says it is off.
Screenshots land in the log directory.

    test_dashboard.py --wabridge PATH --sims DIR --log-dir DIR --reply-audio OGG [--node PATH]

Exits 77 (skipped) when tests/browser/node_modules is missing (run `npm ci` there).
"""

import argparse
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
from simprocs import (Child, free_ports, http_get, media_range, openaisim_up,  # noqa: E402
                      require_executables, stop_wabridge, wabridge_env, wait_started, wait_until)

APP_SECRET, ACCESS_TOKEN, API_KEY = "dash-app-secret", "dash-access-token", "sk-dash-not-a-key"
ADMIN_TOKEN = "dash-admin-Token-0123456789"
HANGUP_AFTER = 6  # seconds after accept: the greeting (and its transcript) comes first
SKIP = 77


def request(url, method="GET", headers=None, timeout=5):
    """(status, headers, body text); (0, {}, error) on a transport error."""
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, {}, str(e)


def api_checks(base):
    """The API without a session: 401 for a missing or wrong token, 200 with the Bearer token."""
    bearer = {"Authorization": "Bearer " + ADMIN_TOKEN}
    for path in ("/api/calls", "/api/events"):
        status, _, _ = request(base + path)
        check(status == 401, f"GET {path} without a token: 401", status)
        status, _, _ = request(base + path, headers={"Authorization": "Bearer wrong"})
        check(status == 401, f"GET {path} with a wrong token: 401", status)
    status, _, _ = request(base + "/dashboard/login", "POST",
                           {"Authorization": "Bearer " + ADMIN_TOKEN + "x"})
    check(status == 401, "POST /dashboard/login with a wrong token: 401", status)
    status, headers, body = request(base + "/api/calls", headers=bearer)
    ok = status == 200 and headers.get("Content-Type", "").startswith("application/json")
    check(ok, "GET /api/calls with the Bearer token: 200 JSON", (status, body[:200]))
    if ok:
        calls = json.loads(body)
        check(calls == {"live": [], "recent": []}, "idle: no live and no recent call", calls)
    status, headers, body = request(base + "/dashboard")
    check(status == 200 and "<title>wabridge dashboard</title>" in body and
          "Content-Security-Policy" in headers, "GET /dashboard serves the page with a CSP",
          status)
    # The stream with the Bearer token: headers and the first (snapshot) event.
    req = urllib.request.Request(base + "/api/events", headers=bearer)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            first = b""  # until the snapshot event is complete (a read timeout ends a failure)
            while not (b"event: snapshot" in first and first.endswith(b"\n\n")):
                chunk = r.read1(4096)
                if not chunk:
                    break
                first += chunk
            check(r.headers.get("Content-Type", "").startswith("text/event-stream") and
                  b"event: snapshot\ndata: {" in first,
                  "GET /api/events with the Bearer token streams a snapshot event", first[:200])
    except OSError as e:
        check(False, "GET /api/events with the Bearer token", e)


def run_browser(node, base, out_dir, on_ready):
    """Runs dashboard.js; calls on_ready() at its "ready" line. Returns its messages."""
    proc = subprocess.Popen([node, os.path.join(HERE, "dashboard.js"), "--url", base,
                             "--token", ADMIN_TOKEN, "--out", out_dir],
                            stdout=subprocess.PIPE, stderr=open(os.path.join(out_dir,
                                                                             "browser.stderr"), "wb"),
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
            if msg.get("ready"):
                on_ready()
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
    metasim, openaisim = os.path.join(a.sims, "metasim"), os.path.join(a.sims, "openaisim")
    require_executables(a.wabridge, metasim, openaisim)
    shutil.rmtree(a.log_dir, ignore_errors=True)
    os.makedirs(a.log_dir)

    port_bridge, port_graph, port_openai = free_ports(3)
    base = f"http://127.0.0.1:{port_bridge}"
    secrets = {"WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
               "WHATSAPP_VERIFY_TOKEN": "dash-verify-token", "OPENAI_API_KEY": API_KEY}
    oai = Child("openaisim", [openaisim, "--listen", f"127.0.0.1:{port_openai}",
                              "--api-key", API_KEY, "--reply-audio", a.reply_audio], a.log_dir)
    env = wabridge_env(port_bridge, port_graph, port_openai, media_range(100),
                       {**secrets, "ADMIN_TOKEN": ADMIN_TOKEN}, drain_grace=5)
    bridge = Child("wabridge", [a.wabridge], a.log_dir, env=env)
    children = [oai, bridge]
    try:
        wait_started(oai, port_openai, bridge, base)
        check(bridge.events("dashboard_enabled"), "wabridge logs dashboard_enabled at start")
        api_checks(base)

        def place_call():
            children.append(Child("metasim", [
                metasim, "--graph-listen", f"127.0.0.1:{port_graph}", "--webhook-url",
                base + "/webhook", "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN,
                "--hangup-after", f"{HANGUP_AFTER}s", "--max-run", "40s", "--linger", "500ms"],
                a.log_dir))

        messages = run_browser(a.node, base, a.log_dir, place_call)
        shown = [m["call_id"] for m in messages if "call_id" in m]
        ended = bridge.events("call_ended")
        if check(len(ended) == 1, "wabridge logged one call_ended", len(ended)):
            call_id = ended[0].get("call_id")
            check(shown == [call_id], "the page showed the call wabridge answered", (shown, call_id))
            status, _, body = request(base + "/api/calls",
                                      headers={"Authorization": "Bearer " + ADMIN_TOKEN})
            recent = json.loads(body).get("recent", []) if status == 200 else []
            check(len(recent) == 1 and recent[0].get("call_id") == call_id and
                  recent[0].get("cause") == ended[0].get("cause") == "caller_hung_up" and
                  recent[0].get("outcome") == "answered" and recent[0].get("duration_ms", 0) > 0,
                  "GET /api/calls lists the ended call with its cause, outcome and duration",
                  recent[:1])
            if recent:
                steps = [s["step"] for s in recent[0].get("steps", [])]
                check(all(s in steps for s in ("webhook", "pre_accept", "accept",
                                               "first_agent_audio")),
                      "its timeline has webhook, pre_accept, accept, first_agent_audio", steps)
                lines = recent[0].get("transcript", [])
                logged = [e.get("text") for e in bridge.events("transcript")]
                check(lines and [ln["text"] for ln in lines] == logged,
                      "its transcript equals wabridge's transcript log lines", (lines, logged))
        shots = sorted(f for f in os.listdir(a.log_dir) if f.endswith(".png"))
        check(len(shots) >= 4, "screenshots saved", shots)

        oai.stop()
        rc, sanitizer = stop_wabridge(bridge, 15)
        check(rc == 0 and not sanitizer, "wabridge exits 0 on SIGTERM without a sanitizer report",
              f"status {rc}: " + " | ".join((sanitizer or bridge.stderr_tail())[:8]))
        leaked = [f for f in os.listdir(a.log_dir) if not f.endswith(".png") and
                  ADMIN_TOKEN in open(os.path.join(a.log_dir, f), errors="replace").read()]
        check(not leaked, "the admin token appears in no log", leaked)

        # Without ADMIN_TOKEN the dashboard does not exist.
        port_off = free_ports(1)[0]
        env_off = wabridge_env(port_off, port_graph, port_openai, media_range(100), secrets,
                               drain_grace=1)
        off = Child("wabridge-no-token", [a.wabridge], a.log_dir, env=env_off)
        children.append(off)
        base_off = f"http://127.0.0.1:{port_off}"
        up = wait_until(lambda: off.proc.poll() is not None or
                        http_get(base_off + "/healthz")[0] == 200, 30)
        if check(up and off.proc.poll() is None, "wabridge without ADMIN_TOKEN starts",
                 off.stderr_tail()):
            for path in ("/dashboard", "/api/calls", "/api/events"):
                status = request(base_off + path,
                                 headers={"Authorization": "Bearer " + ADMIN_TOKEN})[0]
                check(status == 404, f"without ADMIN_TOKEN GET {path} is 404", status)
            check(off.events("dashboard_disabled"), "wabridge logs dashboard_disabled at start")
    finally:
        for c in children:
            c.stop(grace=3)
    return verdict("browser_dashboard", f"logs and screenshots in {a.log_dir}")


if __name__ == "__main__":
    sys.exit(main())
