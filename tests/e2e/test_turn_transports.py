#!/usr/bin/python3
"""TURN over TCP and TLS (RFC 8656 §3.1, RFC 6062 framing), ICE_TRANSPORT_POLICY=relay, with a
real coturn on loopback whose only client listener is the transport under test.

--case tcp: TURN_URLS=turn:…?transport=tcp, coturn started with --no-udp (no UDP listener, so the
call works only if the allocation runs over TCP): both legs connect through the relay, Opus
byte-identical both ways, coturn logged the allocations on TCP.
--case tls: TURN_URLS=turns:…, coturn with --no-udp --no-tcp and a certificate this test makes
(self-signed for 127.0.0.1), passed as TURN_TLS_CA_FILE: the same call over TLS.
--case tls-bad-cert: the same server, but TURN_TLS_CA_FILE holds another certificate: the
handshake fails, turn_failed logs the verify failure, and the call is rejected before any answer.
--case tcp-lost: a connected relay-only call over TCP, then coturn stops: the TCP connections end,
turn_failed names the lost connection, and the accepted call ends (Graph terminate).

The coturn wrapper, the credentials and the failed-call checks come from test_turn_relay.py."""

import os
import socket
import shutil
import subprocess
import tempfile
import time

import bridge_harness as h
import end_paths as e
import test_turn_relay as relay

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBUVVJOVENQMDAwMDAwMDAwMDAwMDAwMAA="


class TransportCoturn(relay.Coturn):
    """coturn listening only on TCP (`tcp`) or only on TLS (`tls`, with `cert`/`key`)."""

    def __init__(self, log_dir, name, transport, cert=None, key=None):
        self.port = h.free_port()
        self.dir = tempfile.mkdtemp(prefix="wab-coturn-")
        self.log_path = os.path.join(log_dir, f"{name}.coturn.log")
        if transport == "tcp":
            listeners = ["--no-udp", "--no-tls", "--no-dtls"]
        else:
            # The plain listener gets a port of its own nobody uses; TLS gets ours.
            listeners = ["--no-udp", "--no-tcp", "--no-dtls", f"--tls-listening-port={self.port}",
                         f"--cert={cert}", f"--pkey={key}"]
        plain_port = self.port if transport == "tcp" else h.free_port()
        args = ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                f"--listening-port={plain_port}", "--lt-cred-mech",
                f"--user={relay.TURN_USER}:{relay.TURN_PASSWORD}", "--realm=wab.test",
                "--no-cli", "--allow-loopback-peers", *listeners,
                f"--userdb={os.path.join(self.dir, 'turndb')}",
                f"--pidfile={os.path.join(self.dir, 'turn.pid')}",
                f"--log-file={self.log_path}", "--simple-log", "--verbose"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        h.wait_until(self.listening, 10, f"coturn to listen on {transport} port {self.port}")

    def listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


def make_certificate(directory, name):
    """A self-signed certificate for 127.0.0.1 (IP SAN), P-256 key; returns (cert, key)."""
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN=wab-test-{name}",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def relay_call(harness, turn, url, extra_env, transport):
    bridge = harness.start_bridge(extra_env={
        "TURN_URLS": url, "TURN_USERNAME": relay.TURN_USER,
        "TURN_PASSWORD": relay.TURN_PASSWORD, "ICE_TRANSPORT_POLICY": "relay", **extra_env})
    before = e.baseline(harness)
    started = time.time()
    caller, _ = harness.place_call(CALL_ID)
    pre_accept = harness.graph_action(CALL_ID, "pre_accept", timeout=15)
    lines = relay.candidates((pre_accept.get("session") or {}).get("sdp", ""))
    harness.expect(lines and all(" typ relay " in l for l in lines),
                   "answer offers only relay candidates", str(lines))
    agent = harness.agent(timeout=15)
    relay.relay_media(harness, bridge, CALL_ID, caller, agent)
    allocations = bridge.logs("turn_allocated")
    harness.expect(len(allocations) >= 2 and all(a.get("server") == url for a in allocations),
                   f"an allocation per leg, both from {url}", str(allocations))
    harness.expect(not bridge.logs("turn_failed"), "no relay failed",
                   str(bridge.logs("turn_failed")))
    coturn_log = turn.log_text()
    harness.expect(coturn_log.count("ALLOCATE processed, success") >= 2,
                   "coturn saw both allocations succeed", coturn_log[-500:])
    harness.expect("CHANNEL_BIND processed, success" in coturn_log,
                   "coturn bound channels for the peers", coturn_log[-500:])
    # coturn logs each stream client ("tcp or tls connected to") and, for TLS, the session's
    # cipher and protocol on its "new" line.
    sessions = [l for l in coturn_log.splitlines() if ": new, realm=" in l]
    tls_sessions = [l for l in sessions if "method=TLS" in l]
    harness.expect(coturn_log.count("tcp or tls connected to") >= 2 and len(sessions) >= 2,
                   "coturn's allocations came over stream connections", sessions)
    if transport == "tls":
        harness.expect(len(tls_sessions) == len(sessions), "every coturn session used TLS",
                       sessions)
    else:
        harness.expect(not tls_sessions, "coturn's sessions were plain TCP", sessions)
    # The relays' connections, TLS sessions and timers go with the call.
    harness.hang_up_caller(CALL_ID, started)
    e.wait_call_ended(harness, CALL_ID, ("caller_hung_up",), 10)
    e.check_ended_and_released(harness, CALL_ID, [agent], before, {"pre_accept": 1, "accept": 1})
    # The reports end the peers, so they come last.
    harness.check_media(caller, agent)
    harness.check_stdout_is_json_lines()


def connection_lost(harness, turn):
    url = f"turn:127.0.0.1:{turn.port}?transport=tcp"
    bridge = harness.start_bridge(extra_env={
        "TURN_URLS": url, "TURN_USERNAME": relay.TURN_USER,
        "TURN_PASSWORD": relay.TURN_PASSWORD, "ICE_TRANSPORT_POLICY": "relay"})
    before = e.baseline(harness)
    harness.connected_call(CALL_ID)  # no media: a peer that got all its packets hangs up
    harness.expect(not bridge.logs("turn_failed"), "the call is up on its TCP relays",
                   str(bridge.logs("turn_failed")))
    turn.stop()
    failed = bridge.wait_log("turn_failed", 10)
    cause = failed.get("cause", "")
    harness.expect(cause.startswith("turn tcp connection lost: ") and
                   f"(127.0.0.1:{turn.port})" in cause,
                   "turn_failed names the lost TCP connection", str(failed))
    ended = bridge.wait_log("call_ended", 10)
    harness.expect(ended.get("call_id") == CALL_ID and ended.get("reason") == cause,
                   "call_ended carries the connection's cause", str(ended))
    h.wait_until(lambda: [a for a, b in harness.graph.actions()
                          if b.get("call_id") == CALL_ID and a == "terminate"], 10,
                 "Graph terminate")
    e.check_released(harness, before)
    harness.expect(bridge.alive(), "wabridge still running")


def scenario(harness):
    if shutil.which("turnserver") is None:
        raise h.E2EFailure("turnserver (coturn) is not installed: run scripts/setup.sh")
    case = harness.args.case or "tcp"
    certs = tempfile.mkdtemp(prefix="wab-turn-certs-")
    turn = None
    try:
        if case == "tcp":
            turn = TransportCoturn(harness.args.log_dir, harness.name, "tcp")
            relay_call(harness, turn, f"turn:127.0.0.1:{turn.port}?transport=tcp", {}, "tcp")
        elif case == "tcp-lost":
            turn = TransportCoturn(harness.args.log_dir, harness.name, "tcp")
            connection_lost(harness, turn)
        elif case in ("tls", "tls-bad-cert"):
            cert, key = make_certificate(certs, "server")
            turn = TransportCoturn(harness.args.log_dir, harness.name, "tls", cert, key)
            url = f"turns:127.0.0.1:{turn.port}"
            if case == "tls":
                relay_call(harness, turn, url, {"TURN_TLS_CA_FILE": cert}, "tls")
            else:
                other, _ = make_certificate(certs, "other")
                harness_env = {"TURN_TLS_CA_FILE": other}
                failed_tls_call(harness, url, harness_env,
                                "turn tls certificate verify failed: self-signed certificate "
                                f"(127.0.0.1:{turn.port})")
        else:
            raise h.E2EFailure(f"unknown case {case}")
    finally:
        if turn is not None:
            turn.stop()
        shutil.rmtree(certs, ignore_errors=True)


def failed_tls_call(harness, url, extra_env, cause):
    # test_turn_relay.failed_call, with the CA file in the bridge's environment.
    start_bridge = harness.start_bridge
    idle = {}

    def start_with_ca(**kwargs):
        kwargs["extra_env"] = {**kwargs.get("extra_env", {}), **extra_env}
        bridge = start_bridge(**kwargs)
        idle.update(e.baseline(harness))
        return bridge

    harness.start_bridge = start_with_ca
    try:
        relay.failed_call(harness, url, relay.TURN_PASSWORD, cause)
    finally:
        harness.start_bridge = start_bridge
    e.check_released(harness, idle)


if __name__ == "__main__":
    h.main(scenario, __doc__)
