#!/usr/bin/python3
"""ICE-TCP (RFC 6544) on the agent leg (--case NAME): the OpenAI-shaped peer answers with only a
TCP passive candidate, as OpenAI's answer can, while the caller stays on UDP.

Cases: call (audio byte-identical both ways and the data channel over the framed TCP path, then
the caller hangs up), reset (the agent's TCP connection is reset mid-call: the agent leg fails with
an ice-tcp cause, the call ends with Graph terminate and the bridge gives back what the call took).
"""

import time

import bridge_harness as h
import end_paths as e

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
    harness.run_media(caller, agent, seconds=4)
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


CASES = {"call": case_call, "reset": case_reset}


def scenario(harness):
    harness.agent_args = harness.agent_args + ["--tcp-passive"]
    CASES[harness.args.case](harness)


if __name__ == "__main__":
    h.main(scenario, __doc__)
