#!/usr/bin/python3
"""ICE-TCP (RFC 6544) on the agent leg (--case NAME): the OpenAI-shaped peer answers with only a
TCP passive candidate, as OpenAI's answer can, while the caller stays on UDP.

Cases: call (audio byte-identical both ways and the data channel over the framed TCP path, then
the caller hangs up), reset (audio both ways over TCP, then the agent's TCP connection is reset
mid-call: the agent leg fails with an ice-tcp cause, the call ends with Graph terminate and the
bridge gives back what the call took), prefer_udp (the agent offers a UDP and a TCP passive
candidate, both reachable: the leg selects UDP host and closes its TCP connection), udp_blocked
(the same answer, but its UDP candidate names a port that drops every check: the leg connects
over TCP, audio both ways and the data channel work).
"""

import time

import bridge_harness as h
import end_paths as e
import probes

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBJQ0VUQ1AwMDAwMDAwMDAwMDAwMDAwMAA="


def check_agent_on_tcp(harness, bridge):
    try:
        opened = bridge.wait_log("ice_tcp_connected", 10)
        harness.expect(opened.get("leg") == "agent", "the agent leg opened an ICE-TCP connection",
                       str(opened))
        connected = bridge.wait_log("leg_connected", 10, leg="agent")
        harness.expect(connected.get("local_candidate") == "tcp",
                       "leg_connected names the agent's pair type tcp", str(connected))
    except h.E2EFailure as error:
        harness.expect(False, "ice_tcp_connected and leg_connected logged", str(error))
    metrics = h.http_request("GET", bridge.url("/metrics"))[2].decode()
    harness.expect('wabridge_legs_connected_total{leg="agent",candidate="tcp"} 1' in metrics,
                   "/metrics counts the agent leg as tcp",
                   [line for line in metrics.splitlines() if "legs_connected" in line])


def case_call(harness):
    bridge = harness.start_bridge(auth="apikey")
    before = e.baseline(harness)
    caller, agent = harness.connected_call(CALL_ID)
    started = time.time()
    check_agent_on_tcp(harness, bridge)
    agent.wait_event("dc_open", timeout=10)
    harness.expect(True, "data channel open over ICE-TCP")
    harness.run_media(caller, agent)
    harness.hang_up_caller(CALL_ID, started)
    e.wait_call_ended(harness, CALL_ID, ("caller_hung_up",), 10)
    e.check_ended_and_released(harness, CALL_ID, [agent], before,
                               {"pre_accept": 1, "accept": 1})
    # The reports end the peers, so they come last.
    harness.check_media(caller, agent)


def case_reset(harness):
    bridge = harness.start_bridge(auth="apikey")
    before = e.baseline(harness)
    caller, agent = harness.connected_call(CALL_ID)
    check_agent_on_tcp(harness, bridge)
    agent.wait_event("dc_open", timeout=10)
    harness.run_media(caller, agent)
    # Before the reset: the audio crossed the TCP path both ways (this case also runs under the
    # sanitizers, the call case does not). The reports do not end the peers while the call is up.
    check_media_so_far(harness, caller, agent)
    agent.send({"type": "tcp_reset"})
    reset = agent.wait_event("tcp_reset", timeout=10)
    harness.require(int(reset.get("connections", 0)) >= 1, "the agent peer reset its TCP connection",
                    str(reset))
    ended = e.wait_call_ended(harness, CALL_ID, ("agent_leg_failed",), 10)
    if ended:
        harness.expect("ice-tcp connection reset by peer" in str(ended.get("reason")),
                       "call_ended names the ICE-TCP reset", str(ended))
    closed = bridge.logs("ice_tcp_closed")
    harness.expect(any("reset by peer" in str(c.get("cause")) and c.get("selected") for c in closed),
                   "ice_tcp_closed logs the reset of the selected path", str(closed)[:400])
    e.check_ended_and_released(harness, CALL_ID, [caller], before,
                               {"pre_accept": 1, "accept": 1, "terminate": 1})


def case_prefer_udp(harness):
    """Both candidates work: UDP wins (it ranks above TCP), the TCP connection made for the checks
    is closed once the leg is up."""
    bridge = harness.start_bridge(auth="apikey")
    caller, agent = harness.connected_call(CALL_ID)
    check_answer_offers_both(harness, agent)
    connected = bridge.wait_log("leg_connected", 10, leg="agent")
    harness.expect(connected.get("local_candidate") == "host"
                   and connected.get("remote_candidate") == "host",
                   "leg_connected names the agent's pair type host (UDP)", str(connected))
    metrics = h.http_request("GET", bridge.url("/metrics"))[2].decode()
    harness.expect('wabridge_legs_connected_total{leg="agent",candidate="host"} 1' in metrics
                   and 'candidate="tcp"' not in metrics,
                   "/metrics counts the agent leg as host, none as tcp",
                   [line for line in metrics.splitlines() if "legs_connected" in line])
    try:
        opened = bridge.wait_log("ice_tcp_connected", 10, leg="agent")
    except h.E2EFailure as error:
        harness.require(False, "the agent leg also opened an ICE-TCP connection", str(error))
    harness.expect(True, "the agent leg also opened an ICE-TCP connection")
    port = int(opened["remote"].rsplit(":", 1)[1])
    try:
        h.wait_until(lambda: probes.tcp_connections(bridge.proc.pid, port) == 0, 5,
                     f"wabridge to close its TCP connection to :{port}")
        harness.expect(True, "the unused ICE-TCP connection is closed once UDP is selected")
    except h.E2EFailure as error:
        harness.expect(False, "the unused ICE-TCP connection is closed once UDP is selected",
                       f"{error}; open: {probes.tcp_connections(bridge.proc.pid, port)}")
    agent.wait_event("dc_open", timeout=10)
    harness.run_media(caller, agent)
    harness.check_media(caller, agent)


def case_udp_blocked(harness):
    """The UDP candidate drops every check: the leg connects over TCP (ICE-TCP used when the UDP
    checks fail)."""
    bridge = harness.start_bridge(auth="apikey")
    caller, agent = harness.connected_call(CALL_ID)
    check_answer_offers_both(harness, agent)
    check_agent_on_tcp(harness, bridge)
    agent.wait_event("dc_open", timeout=10)
    harness.expect(True, "data channel open over ICE-TCP")
    harness.run_media(caller, agent)
    harness.check_media(caller, agent)


def check_answer_offers_both(harness, agent):
    """The agent's answer has a UDP host candidate and a TCP passive one."""
    lines = [l for l in agent.wait_sdp("answer", timeout=1).splitlines()
             if l.startswith("a=candidate:")]
    udp = [l for l in lines if l.split()[2].lower() == "udp" and " typ host" in l]
    tcp = [l for l in lines if l.split()[2].lower() == "tcp" and "tcptype passive" in l]
    harness.expect(udp and tcp, "the agent answers with a UDP and a TCP passive host candidate",
                   str(lines))


def check_media_so_far(harness, caller, agent):
    """Both peers got all the pattern packets (run_media waited for their `done`)."""
    harness.expect(caller.event("done") and agent.event("done"),
                   "pattern RTP arrived both ways over ICE-TCP before the reset",
                   f"caller done {bool(caller.event('done'))}, agent done {bool(agent.event('done'))}")


CASES = {"call": (case_call, ["--tcp-passive"]),
         "reset": (case_reset, ["--tcp-passive"]),
         "prefer_udp": (case_prefer_udp, ["--tcp-passive", "--tcp-and-udp"]),
         "udp_blocked": (case_udp_blocked, ["--tcp-passive", "--tcp-and-udp", "--udp-blackhole"])}


def scenario(harness):
    run, agent_args = CASES[harness.args.case]
    harness.agent_args = harness.agent_args + agent_args
    run(harness)


if __name__ == "__main__":
    h.main(scenario, __doc__)
