#!/usr/bin/python3
"""The agent leg ends (the OpenAI-side peer closes its PeerConnection): the bridge must end the
WhatsApp call with the Graph action `terminate` and log `call_ended`."""

import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBBR0VOVEhBTkdVUDk4NzY1NDMyMTBBQgA="
# The bridge may notice a DTLS close_notify / SCTP abort at once, or only when ICE consent
# expires (RFC 7675: 30 s); both are allowed.
TERMINATE_WITHIN = 45


def scenario(harness):
    bridge = harness.start_bridge(auth="apikey")
    caller, agent = harness.connected_call(CALL_ID)
    agent.wait_event("dc_open", timeout=10)
    harness.run_media(caller, agent, seconds=4)
    agent.send({"type": "hangup"})
    agent.wait_event("hung_up", timeout=10)
    hung_up_at = time.monotonic()
    terminate = harness.graph_action(CALL_ID, "terminate", timeout=TERMINATE_WITHIN)
    harness.expect(True, f"Graph terminate {time.monotonic() - hung_up_at:.1f} s after the agent left")
    harness.expect("session" not in terminate, "terminate carries no session", str(terminate)[:200])
    harness.expect(terminate.get("messaging_product") == "whatsapp", "terminate body shape",
                   str(terminate)[:200])
    try:
        ended = bridge.wait_log("call_ended", 10)
        harness.expect(ended.get("cause"), "call_ended has a cause", str(ended))
    except h.E2EFailure as error:
        harness.expect(False, "call_ended logged", str(error))
    try:
        h.wait_until(lambda: set(caller.states()) & {"disconnected", "failed", "closed"}, 15,
                     "the caller to see the call end")
        harness.expect(True, "caller sees the call end")
    except h.E2EFailure as error:
        harness.expect(False, "caller sees the call end", str(error))


if __name__ == "__main__":
    h.main(scenario, __doc__)
