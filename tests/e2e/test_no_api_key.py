#!/usr/bin/python3
"""No OPENAI_API_KEY: a call still ends in a defined way, without a hang. Either the bridge
rejects before accepting, or it accepts (fallback) and terminates; the `call_ended` cause is
logged and a Graph `reject` or `terminate` is made. OpenAI is never contacted."""

import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBOT0FQSUtFWTAwMDAwMDAwMDAwMDAwMAA="
OUTCOME_WITHIN = 60  # Meta itself gives up after 30-60 s; a bridge that waits longer hangs


def scenario(harness):
    bridge = harness.start_bridge(auth="apikey", api_key=False)
    caller, _ = harness.place_call(CALL_ID)
    ended = bridge.wait_log("call_ended", OUTCOME_WITHIN)
    cause = ended.get("cause")
    harness.expect(cause, "call_ended has a cause", str(ended))
    harness.expect(ended.get("call_id") == CALL_ID, "call_ended names the call", str(ended))
    try:
        h.wait_until(lambda: [a for a, b in harness.graph.actions()
                              if b.get("call_id") == CALL_ID and a in ("reject", "terminate")],
                     10, "Graph reject or terminate")
    except h.E2EFailure as error:
        harness.expect(False, "Graph reject or terminate", str(error))
    actions = [a for a, b in harness.graph.actions() if b.get("call_id") == CALL_ID]
    h.log(f"Graph actions {actions}, cause {cause!r}")
    if "reject" in actions:
        harness.expect("accept" not in actions[: actions.index("reject")],
                       "reject comes before any accept", str(actions))
    else:
        harness.expect("terminate" in actions, "terminate ends an accepted call", str(actions))
    harness.expect(not harness.openai.snapshot(), "OpenAI not contacted without a key",
                   str([r.describe() for r in harness.openai.snapshot()]))
    time.sleep(1)  # a late, second outcome would show as a second call_ended
    harness.expect(len(bridge.logs("call_ended", call_id=CALL_ID)) == 1, "exactly one call_ended",
                   str(bridge.logs("call_ended")))
    harness.expect(bridge.alive(), "wabridge still running")


if __name__ == "__main__":
    h.main(scenario, __doc__)
