#!/usr/bin/python3
"""End-to-end scenarios of wabridge's voice-agent features, driven by the simulators: metasim
(Meta: Graph API, the caller's phone, signed webhooks) and openaisim (OpenAI Realtime and GPT-Live)
around the real wabridge binary. Each scenario asserts what the agent received (openaisim
--record-events, --record) and what the caller heard or got (metasim --record, its Graph log). See
README.md.

    test_agent.py --scenario NAME --wabridge PATH --sims DIR --log-dir DIR [--assets DIR]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "sim_harness"))
from checks import check, log, verdict  # noqa: E402
from simprocs import (Child, free_ports, http_get, http_post, media_range,  # noqa: E402
                      read_json_lines, require_executables, stop_wabridge, wabridge_env,
                      wait_started, wait_until)
import scenarios  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
APP_SECRET, ACCESS_TOKEN, API_KEY = "agent-app-secret", "agent-access-token", "sk-agent-not-a-key"


def ensure_assets(directory):
    """caller.ogg and reply.ogg (espeak-ng + opusenc), made once per build directory."""
    if all(os.path.exists(os.path.join(directory, f)) for f in ("caller.ogg", "reply.ogg")):
        return
    tmp = f"{directory}.tmp{os.getpid()}"
    subprocess.run(["bash", os.path.join(REPO, "tools/sim/make-assets.sh"), tmp], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        os.rename(tmp, directory)  # atomic: the folder appears complete or not at all
    except OSError:  # a scenario running at the same time made it first: use that one
        shutil.rmtree(tmp)


class Run:
    """One wabridge with its two simulators, set up for a scenario."""

    def __init__(self, a, log_dir):
        self.a, self.dir = a, log_dir
        self.assets = a.assets
        self.metasim = os.path.join(a.sims, "metasim")
        self.openaisim_bin = os.path.join(a.sims, "openaisim")
        self.port_bridge, self.port_graph, self.port_openai = free_ports(3)
        self.base = f"http://127.0.0.1:{self.port_bridge}"
        self.children = []
        self.events_path = os.path.join(log_dir, "agent-events.jsonl")
        self.heard_path = os.path.join(log_dir, "heard-by-caller.ogg")
        self.agent_heard_path = os.path.join(log_dir, "heard-by-agent.ogg")
        self.oai = self.bridge = self.meta = None

    def asset(self, name):
        return os.path.join(self.assets, name)

    def start(self, toml="", env=None, oai_flags=(), api_key=API_KEY):
        self.oai = Child("openaisim", [
            self.openaisim_bin, "--listen", f"127.0.0.1:{self.port_openai}", "--api-key", api_key,
            "--reply-audio", self.asset("reply.ogg"), "--record", self.agent_heard_path,
            "--record-events", self.events_path,
            "--record-session", os.path.join(self.dir, "session-update.jsonl"), *oai_flags],
            self.dir)
        self.children.append(self.oai)
        e = wabridge_env(self.port_bridge, self.port_graph, self.port_openai, media_range(100),
                         {"WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
                          "WHATSAPP_VERIFY_TOKEN": "agent-verify-token", "OPENAI_API_KEY": API_KEY},
                         drain_grace=5)
        e.update(env or {})
        argv = [self.a.wabridge]
        if toml:
            path = os.path.join(self.dir, "wabridge.toml")
            with open(path, "w") as f:
                f.write(toml)
            argv += ["--config", path]
        self.bridge = Child("wabridge", argv, self.dir, env=e)
        self.children.append(self.bridge)
        wait_started(self.oai, self.port_openai, self.bridge, self.base)

    def call(self, *flags, budget=40):
        """Runs metasim with these flags to its end; returns its report's results."""
        self.start_metasim(*flags, budget=budget)
        return self.metasim_results(budget)

    def start_metasim(self, *flags, budget=40, linger="500ms"):
        """Starts metasim (e.g. with --outbound: it waits for the business's Graph connect)."""
        self.meta = Child("metasim", [
            self.metasim, "--graph-listen", f"127.0.0.1:{self.port_graph}",
            "--webhook-url", self.base + "/webhook", "--app-secret", APP_SECRET,
            "--access-token", ACCESS_TOKEN, "--record", self.heard_path,
            "--max-run", f"{budget}s", "--linger", linger, *flags], self.dir)
        self.children.append(self.meta)
        port = self.port_graph  # any HTTP status: metasim's Graph API is up
        if not wait_until(lambda: http_get(f"http://127.0.0.1:{port}/")[0], 10, 0.05):
            raise SystemExit("metasim did not start: " + " | ".join(self.meta.stderr_tail()))

    def metasim_results(self, budget=40):
        """Waits for metasim's end; returns its report's results."""
        try:
            self.meta.proc.wait(timeout=budget + 15)
        except subprocess.TimeoutExpired:
            self.meta.stop()
        report = self.meta.events("report")
        return report[0].get("results", []) if report else []

    def place_call(self, body, token):
        """POST /calls to wabridge (the admin endpoint) with this Bearer token (None: no header);
        returns (status, parsed JSON or text)."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        status, text = http_post(self.base + "/calls", body, headers)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def settle(self, pred, timeout=10):
        return wait_until(pred, timeout, 0.2)

    def finish(self):
        """Stops openaisim (its report) and wabridge (SIGTERM: exit 0, no sanitizer report)."""
        # The bridge's hang-up towards the agent may still be in flight.
        self.settle(lambda: all(c.get("call_id") in self.oai_closed()
                                for c in self.oai_calls()), 10)
        self.oai.stop()
        rc, sanitizer = stop_wabridge(self.bridge, 15)
        check(rc == 0 and not sanitizer, "wabridge exits 0 on SIGTERM without a sanitizer report",
              f"status {rc}: " + " | ".join((sanitizer or self.bridge.stderr_tail())[:8]))

    def stop_all(self):
        for c in self.children:
            c.stop(grace=3)

    # --- what the logs say ----------------------------------------------------------------------

    def oai_calls(self):
        return self.oai.events("call_created")

    def oai_closed(self):
        return {e.get("call_id") for e in self.oai.events("call_closed")}

    def agent_of(self, wa_call_id):
        """The openaisim call id of a WhatsApp call (wabridge logs both in agent_call_created)."""
        for e in self.bridge.events("agent_call_created"):
            if e.get("call_id") == wa_call_id:
                return e.get("agent_call_id")
        return None

    def client_events(self, agent_call_id):
        """The client events openaisim received on that call, in order."""
        return [e["event"] for e in read_json_lines(self.events_path)
                if e.get("call_id") == agent_call_id and isinstance(e.get("event"), dict)]

    def bridge_ended(self, wa_call_id):
        return [e for e in self.bridge.events("call_ended") if e.get("call_id") == wa_call_id]

    def oai_report(self, agent_call_id):
        for r in (self.oai.events("report") or [{}])[0].get("results", []):
            if r.get("call_id") == agent_call_id:
                return r
        return {}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenario", required=True, choices=sorted(scenarios.ALL))
    p.add_argument("--wabridge", required=True)
    p.add_argument("--sims", required=True, help="directory with metasim and openaisim")
    p.add_argument("--log-dir", required=True)
    p.add_argument("--assets", help="speech clips (made with tools/sim/make-assets.sh if missing)")
    return p.parse_args()


def main():
    a = parse_args()
    log_dir = os.path.join(a.log_dir, a.scenario)
    if os.path.isdir(log_dir):
        shutil.rmtree(log_dir)
    os.makedirs(log_dir)
    a.assets = a.assets or os.path.join(a.log_dir, "assets")
    ensure_assets(a.assets)
    require_executables(a.wabridge, os.path.join(a.sims, "metasim"),
                        os.path.join(a.sims, "openaisim"))
    run = Run(a, log_dir)
    t0 = time.monotonic()
    log(f"agent scenario {a.scenario}: logs in {log_dir}")
    try:
        scenarios.ALL[a.scenario](run)
    finally:
        run.stop_all()
    log(f"{a.scenario}: {time.monotonic() - t0:.1f} s")
    return verdict(a.scenario, f"logs in {log_dir}")

if __name__ == "__main__":
    sys.exit(main())
