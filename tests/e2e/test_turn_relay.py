#!/usr/bin/python3
"""TURN relay (RFC 8656), ICE_TRANSPORT_POLICY=relay, with a real coturn on loopback.

--case relay: both legs offer only relay candidates and connect through coturn (each leg's
leg_connected says local_candidate relay, /metrics counts relay legs, coturn saw the allocations),
Opus byte-identical both ways; after the hang-up coturn's own counters (its "peer usage" lines)
show each allocation relayed at least the 100 pattern packets each way.
--case wrong-password / --case unreachable: the allocation fails (401 after the credentials, or no
answer from a port nothing listens on), turn_failed logs the cause, and the call is rejected before
any accept.
--case expired: coturn in TURN REST API mode (--use-auth-secret), wabridge's time-limited
username that expired in 2023: coturn answers 401, turn_failed and call_ended say the credentials
expired, the call is rejected before any accept. (No mid-call variant: coturn 4.6 checks the
username's time only when a session first authenticates; it keeps the key, so refreshes of a live
allocation succeed after the expiry, also across stale nonces. A refused refresh is covered by
turn_test's TurnClient cases.)
--case refresh-lost: coturn grants 6 s allocations, so both legs refresh during the call; then
coturn stops, the next refresh gets no answer, and the
accepted call ends (terminate) with that cause."""

import base64
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import tempfile
import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBUVVJOUkVMQVkwMDAwMDAwMDAwMDAwMAA="
TURN_USER = "wabturn"
TURN_PASSWORD = "turn-e2e-secret-9f2c"
# The shared secret of coturn's TURN REST API mode (--use-auth-secret): time-limited credentials.
TURN_REST_SECRET = "turn-e2e-rest-secret-41d7"
# --case expired: the time-limited username's expiry, long past (fixed, so that test_secrets can
# search the outputs for the password derived from it).
EXPIRED_AT = 1700000000


def rest_credentials(expires_at):
    """TURN REST API credentials: username "<unix expiry>:<name>", password
    base64(HMAC-SHA1(secret, username))."""
    username = f"{int(expires_at)}:wab"
    digest = hmac.new(TURN_REST_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


class Coturn:
    """coturn's turnserver on 127.0.0.1, long-term credentials (a static user, or with `rest` the
    TURN REST API's time-limited ones), loopback peers allowed."""

    def __init__(self, log_dir, name, extra=(), rest=False):
        self.port = h.free_port()
        self.dir = tempfile.mkdtemp(prefix="wab-coturn-")
        self.log_path = os.path.join(log_dir, f"{name}.coturn.log")
        # rest: time-limited credentials from a shared secret instead of a static user.
        auth = (["--use-auth-secret", f"--static-auth-secret={TURN_REST_SECRET}"] if rest
                else ["--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}"])
        args = ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                f"--listening-port={self.port}", *auth,
                "--realm=wab.test", "--no-tls",
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


def relay_media(harness, bridge, call_id, caller, agent):
    """Accepts the call, waits for both peers, requires both legs to run through a relay
    candidate, and sends the pattern media both ways."""
    harness.graph_action(call_id, "accept", timeout=20)
    caller.wait_event("connected", timeout=20)
    agent.wait_event("connected", timeout=20)
    for leg in ("whatsapp", "agent"):
        entry = bridge.wait_log("leg_connected", 10, leg=leg)
        harness.expect(entry.get("local_candidate") == "relay",
                       f"{leg} leg connected through the relay", str(entry))
    harness.run_media(caller, agent)


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
    relay_media(harness, bridge, CALL_ID, caller, agent)
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
    # coturn's own counters: when an allocation ends it logs what its relay port carried
    # ("peer usage": packets and bytes received from and sent to the peers). Each leg's media
    # went through its allocation: at least the 100 pattern packets (60-byte payload, 12-byte
    # header, before SRTP's tag) each way.
    harness.hang_up_caller(CALL_ID, time.time())
    bridge.wait_log("call_ended", 10)
    try:
        usages = h.wait_until(lambda: both_usages(turn), 10,
                              "coturn to log the usage of both allocations")
    except h.E2EFailure as error:
        usages = []
        harness.expect(False, "coturn logged the usage of both allocations", str(error))
    for i, usage in enumerate(usages):
        harness.expect(usage["rp"] >= 100 and usage["rb"] >= 100 * 72,
                       f"allocation {i + 1}: coturn relayed the peer's Opus to wabridge",
                       str(usage))
        harness.expect(usage["sp"] >= 100 and usage["sb"] >= 100 * 72,
                       f"allocation {i + 1}: coturn relayed wabridge's Opus to the peer",
                       str(usage))
    harness.check_stdout_is_json_lines()


def both_usages(turn):
    usages = relay_usage(turn.log_text())
    return usages if len(usages) >= 2 else None


def relay_usage(coturn_log):
    """coturn's "peer usage" lines: per allocation, packets (rp, sp) and bytes (rb, sb) its relay
    port received from and sent to the peers."""
    out = []
    for match in re.finditer(r"session (\S+): peer usage: .*?rp=(\d+), rb=(\d+), sp=(\d+), "
                             r"sb=(\d+)", coturn_log):
        out.append({"session": match.group(1), "rp": int(match.group(2)),
                    "rb": int(match.group(3)), "sp": int(match.group(4)),
                    "sb": int(match.group(5))})
    return out


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


def failed_call(harness, turn_url, password, cause, username=TURN_USER):
    bridge = harness.start_bridge(extra_env={
        "TURN_URLS": turn_url, "TURN_USERNAME": username, "TURN_PASSWORD": password,
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
    turn = Coturn(harness.args.log_dir, harness.name, extra, rest=case == "expired")
    try:
        if case == "relay":
            relay_call(harness, turn)
        elif case == "refresh-lost":
            refresh_lost(harness, turn)
        elif case == "expired":
            username, password = rest_credentials(EXPIRED_AT)
            failed_call(harness, f"turn:127.0.0.1:{turn.port}", password,
                        "turn allocation failed: 401 Unauthorized (credentials rejected: "
                        f"time-limited credentials expired at unix time {username.split(':')[0]})",
                        username=username)
        elif case == "wrong-password":
            failed_call(harness, f"turn:127.0.0.1:{turn.port}", "not-the-password",
                        "turn allocation failed: 401 Unauthorized (credentials rejected)")
        else:
            raise h.E2EFailure(f"unknown case {case}")
    finally:
        turn.stop()


if __name__ == "__main__":
    h.main(scenario, __doc__)
