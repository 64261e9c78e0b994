#!/usr/bin/python3
"""Two calls at once: each caller reaches its own agent, the pattern arrives byte-identical on
both calls in both directions (no crossed streams), and hanging up one leaves the other up."""

import time

import bridge_harness as h

CALL_A = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBUV09DQUxMU0EwMDAwMDAwMDAwMDAwMAA="
CALL_B = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBUV09DQUxMU0IwMDAwMDAwMDAwMDAwMAA="


def scenario(harness):
    bridge = harness.start_bridge(auth="apikey")
    started = time.time()
    caller_a, agent_a = harness.connected_call(CALL_A)
    caller_b, agent_b = harness.connected_call(CALL_B)
    harness.expect(agent_a is not agent_b, "one agent per call")
    for peer in (caller_a, agent_a, caller_b, agent_b):
        peer.send({"type": "send_rtp"})
    try:
        h.wait_until(lambda: all(p.event("done") for p in (caller_a, agent_a, caller_b, agent_b)),
                     10, "all four peers to receive the whole pattern")
    except h.E2EFailure as error:
        h.log(f"note: {error}; checking the reports")

    harness.hang_up_caller(CALL_A, started)
    try:
        bridge.wait_log("call_ended", 10, call_id=CALL_A)
        hangups = [r.path for r in h.wait_until(harness.openai.hangups, 5, "the OpenAI hangup")]
        first_id = h.openai_call_id(harness.agents.index(agent_a))
        harness.expect(hangups == [f"/v1/realtime/calls/{first_id}/hangup"],
                       "OpenAI hangup of the first call's agent only", str(hangups))
    except h.E2EFailure as error:
        harness.expect(False, "call_ended and OpenAI hangup for the first call", str(error))
    # The second call is still up: its agent can still talk to the log.
    agent_b.send({"type": "dc_send", "text": '{"type":"response.output_audio_transcript.done",'
                  '"transcript":"still here"}'})
    try:
        entry = bridge.wait_log("transcript", 5, call_id=CALL_B)
        harness.expect(entry.get("text") == "still here", "the other call lives on", str(entry))
    except h.E2EFailure as error:
        harness.expect(False, "the other call lives on", str(error))
    harness.expect(not bridge.logs("call_ended", call_id=CALL_B), "the other call did not end")
    harness.expect(not [a for a, b in harness.graph.actions()
                        if b.get("call_id") == CALL_B and a in ("terminate", "reject")],
                   "no Graph terminate for the other call")
    for caller, agent in ((caller_a, agent_a), (caller_b, agent_b)):
        harness.check_media(caller, agent)
    harness.hang_up_caller(CALL_B, started)


if __name__ == "__main__":
    h.main(scenario, __doc__)
