#!/usr/bin/python3
"""TURN relay (RFC 8656), ICE_TRANSPORT_POLICY=relay, with a real coturn on loopback.

--case relay: both legs offer only relay candidates and connect through coturn (each leg's
leg_connected says local_candidate relay, /metrics counts relay legs, coturn saw the allocations),
Opus byte-identical both ways.
--case wrong-password / --case unreachable: the allocation fails (401 after the credentials, or no
answer from a port nothing listens on), turn_failed logs the cause, and the call is rejected before
any accept.
--case refresh-lost: coturn grants 6 s allocations, so both legs refresh during the call; then
coturn stops, the next refresh gets no answer, and the
accepted call ends (terminate) with that cause."""

import os
import shutil
import subprocess
import tempfile

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBUVVJOUkVMQVkwMDAwMDAwMDAwMDAwMAA="
TURN_USER = "wabturn"
TURN_PASSWORD = "turn-e2e-secret-9f2c"


class Coturn:
    """coturn's turnserver on 127.0.0.1, long-term credentials, loopback peers allowed."""

    def __init__(self, log_dir, name, extra=()):
        self.port = h.free_port()
        self.dir = tempfile.mkdtemp(prefix="wab-coturn-")
        self.log_path = os.path.join(log_dir, f"{name}.coturn.log")
        args = ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                f"--listening-port={self.port}", "--lt-cred-mech",
                f"--user={TURN_USER}:{TURN_PASSWORD}", "--realm=wab.test", "--no-tls",
                "--no-dtls", "--no-cli", "--allow-loopback-peers",
                f"--userdb={os.path.join(self.dir, 'turndb')}",
                f"--pidfile={os.path.join(self.dir, 'turn.pid')}",
                f"--log-file={self.log_path}", "--simple-log", "--verbose", *extra]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def candidates(sdp):
    return [l for l in sdp.splitlines() if l.startswith("a=candidate:")]


def relay_call(harness, turn):
    bridge = harness.start_bridge(extra_env={
        "TURN_URLS": f"turn:127.0.0.1:{turn.port}", "TURN_USERNAME": TURN_USER,
        "TURN_PASSWORD": TURN_PASSWORD, "ICE_TRANSPORT_POLICY": "relay"})
    caller, _ = harness.place_call(CALL_ID)
    pre_accept = harness.graph_action(CALL_ID, "pre_accept", timeout=15)
    answer = (pre_accept.get("session") or {}).get("sdp", "")
    lines = candidates(answer)
    harness.expect(lines and all(" typ relay " in l for l in lines),
                   "answer offers only relay candidates", str(lines))
    agent = harness.agent(timeout=15)
    openai_offer = harness.openai.offers[0][1]
    lines = candidates(openai_offer)
    harness.expect(lines and all(" typ relay " in l for l in lines),
                   "OpenAI offer has only relay candidates", str(lines))
    harness.graph_action(CALL_ID, "accept", timeout=20)
    caller.wait_event("connected", timeout=20)
    agent.wait_event("connected", timeout=20)
    for leg in ("whatsapp", "agent"):
        entry = bridge.wait_log("leg_connected", 10, leg=leg)
        harness.expect(entry.get("local_candidate") == "relay",
                       f"{leg} leg connected through the relay", str(entry))
    harness.run_media(caller, agent)
    harness.check_media(caller, agent)
    metrics = h.http_request("GET", bridge.url("/metrics"))[2].decode()
    for leg in ("caller", "agent"):
        sample = f'wabridge_legs_connected_total{{leg="{leg}",candidate="relay"}} 1'
        harness.expect(sample in metrics, f"/metrics counts the {leg} leg as relay",
                       [l for l in metrics.splitlines() if "legs_connected" in l])
    allocations = bridge.logs("turn_allocated")
    harness.expect(len(allocations) >= 2, "an allocation per leg", str(allocations))
    coturn_log = turn.log_text()
    harness.expect(coturn_log.count("ALLOCATE processed, success") >= 2,
                   "coturn saw both allocations succeed", coturn_log[-500:])
    harness.expect("CHANNEL_BIND processed, success" in coturn_log,
                   "coturn bound channels for the peers", coturn_log[-500:])
    harness.check_stdout_is_json_lines()


def refresh_lost(harness, turn):
    bridge = harness.start_bridge(extra_env={
        "TURN_URLS": f"turn:127.0.0.1:{turn.port}", "TURN_USERNAME": TURN_USER,
        "TURN_PASSWORD": TURN_PASSWORD, "ICE_TRANSPORT_POLICY": "relay"})
    harness.connected_call(CALL_ID)  # no media: a peer that got all its packets hangs up
    h.wait_until(lambda: turn.log_text().count("REFRESH processed, success") >= 2, 10,
                 "coturn to refresh both allocations")
    harness.expect(not bridge.logs("turn_failed"), "refreshes keep the call up",
                   str(bridge.logs("turn_failed")))
    turn.stop()
    failed = bridge.wait_log("turn_failed", 15)
    harness.expect(failed.get("cause") == "turn refresh failed: no answer from the TURN server",
                   "turn_failed names the lost refresh", str(failed))
    ended = bridge.wait_log("call_ended", 15)
    harness.expect(ended.get("call_id") == CALL_ID, "call_ended names the call", str(ended))
    h.wait_until(lambda: [a for a, b in harness.graph.actions()
                          if b.get("call_id") == CALL_ID and a == "terminate"], 10,
                 "Graph terminate")
    harness.expect(bridge.alive(), "wabridge still running")


def failed_call(harness, turn_url, password, cause):
    bridge = harness.start_bridge(extra_env={
        "TURN_URLS": turn_url, "TURN_USERNAME": TURN_USER, "TURN_PASSWORD": password,
        "ICE_TRANSPORT_POLICY": "relay"})
    harness.place_call(CALL_ID)
    failed = bridge.wait_log("turn_failed", 15)
    harness.expect(failed.get("cause") == cause, "turn_failed names the cause", str(failed))
    ended = bridge.wait_log("call_ended", 15)
    harness.expect(ended.get("call_id") == CALL_ID, "call_ended names the call", str(ended))
    harness.expect(ended.get("reason") == cause, "call_ended carries the TURN cause", str(ended))
    h.wait_until(lambda: [a for a, b in harness.graph.actions()
                          if b.get("call_id") == CALL_ID and a == "reject"], 10, "Graph reject")
    actions = [a for a, b in harness.graph.actions() if b.get("call_id") == CALL_ID]
    harness.expect("accept" not in actions and "pre_accept" not in actions,
                   "rejected before any answer", str(actions))
    harness.expect(bridge.alive(), "wabridge still running")


def scenario(harness):
    if shutil.which("turnserver") is None:
        raise h.E2EFailure("turnserver (coturn) is not installed: run scripts/setup.sh")
    case = harness.args.case or "relay"
    if case == "unreachable":
        failed_call(harness, f"turn:127.0.0.1:{h.free_port()}", TURN_PASSWORD,
                    "turn allocation failed: no answer from the TURN server (unreachable)")
        return
    extra = ["--max-allocate-lifetime=6"] if case == "refresh-lost" else []
    turn = Coturn(harness.args.log_dir, harness.name, extra)
    try:
        if case == "relay":
            relay_call(harness, turn)
        elif case == "refresh-lost":
            refresh_lost(harness, turn)
        elif case == "wrong-password":
            failed_call(harness, f"turn:127.0.0.1:{turn.port}", "not-the-password",
                        "turn allocation failed: 401 Unauthorized (credentials rejected)")
        else:
            raise h.E2EFailure(f"unknown case {case}")
    finally:
        turn.stop()


if __name__ == "__main__":
    h.main(scenario, __doc__)
