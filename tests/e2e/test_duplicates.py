#!/usr/bin/python3
"""Meta's delivery is at-least-once and unordered (whatsapp.md §3.2): a connect delivered twice
sets up one call (one pre_accept, one accept, one OpenAI call); a terminate delivered twice hangs
up once; a terminate for a call the bridge never saw changes nothing; the bridge stays healthy and
takes the next call."""

import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBEVVBMSUNBVEUwMDAwMDAwMDAwMDAwMAA="
UNKNOWN_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBVTktOT1dOMDAwMDAwMDAwMDAwMDAwMAA="
NEXT_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBORVhUQ0FMTDAwMDAwMDAwMDAwMDAwMAA="


def count(harness, call_id, action):
    return len(harness.graph.requests_for(call_id, action))


def scenario(harness):
    bridge = harness.start_bridge(auth="apikey")
    started = time.time()

    status, _, _ = harness.post_webhook(h.terminate_body(UNKNOWN_ID, started))
    harness.expect(status == 200, "terminate for an unknown call -> 200", str(status))

    caller, offer = harness.place_call(CALL_ID)
    body = h.connect_body(CALL_ID, offer)
    harness.graph_action(CALL_ID, "pre_accept", timeout=10)
    status, _, _ = harness.post_webhook(body)  # Meta's retry, after we already answered
    harness.expect(status == 200, "repeated connect -> 200", str(status))
    agent = harness.agent(timeout=15)
    harness.graph_action(CALL_ID, "accept", timeout=20)
    caller.wait_event("connected", timeout=20)
    agent.wait_event("connected", timeout=20)
    harness.run_media(caller, agent, seconds=4)
    harness.expect(count(harness, CALL_ID, "pre_accept") == 1, "one pre_accept for a repeated connect",
                   str(count(harness, CALL_ID, "pre_accept")))
    harness.expect(count(harness, CALL_ID, "accept") == 1, "one accept for a repeated connect",
                   str(count(harness, CALL_ID, "accept")))
    harness.expect(len(harness.agents) == 1, "one OpenAI call for a repeated connect",
                   str(len(harness.agents)))

    harness.hang_up_caller(CALL_ID, started)
    harness.hang_up_caller(CALL_ID, started)
    try:
        bridge.wait_log("call_ended", 10, call_id=CALL_ID)
    except h.E2EFailure as error:
        harness.expect(False, "call_ended logged", str(error))
    harness.check_media(caller, agent)

    # The next call works, and the doubled terminate ended the first only once.
    harness.connected_call(NEXT_ID)
    first = [r.path for r in harness.openai.hangups() if f"/{h.openai_call_id(0)}/" in r.path]
    harness.expect(len(first) == 1, "one OpenAI hangup for a doubled terminate", str(first))
    harness.expect(len(bridge.logs("call_ended", call_id=CALL_ID)) == 1, "one call_ended per call",
                   str(len(bridge.logs("call_ended", call_id=CALL_ID))))
    harness.expect(not harness.graph.requests_for(UNKNOWN_ID, "terminate")
                   and not harness.graph.requests_for(UNKNOWN_ID, "reject"),
                   "no Graph action for the unknown call")
    harness.hang_up_caller(NEXT_ID, started)


if __name__ == "__main__":
    h.main(scenario, __doc__)
