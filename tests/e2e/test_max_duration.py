#!/usr/bin/python3
"""MAX_CALL_DURATION_SECONDS: a call that is up and flowing ends when its time is over: Graph
`terminate`, OpenAI hangup, `call_ended` cause `max_duration_reached`, both peers see the end,
and the bridge gives back what the call took. `--case terminate_fails`: Graph answers the
terminate with a 500; the call is over all the same (one terminate, no retry loop, nothing
kept)."""

import time

import bridge_harness as h
import end_paths as e

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBNQVhEVVJBVElPTjAwMDAwMDAwMDAwMAA="
MAX_SECONDS = 6


def scenario(harness):
    if harness.args.case not in ("", "terminate_fails"):
        raise h.E2EFailure(f"unknown --case {harness.args.case!r}")
    if harness.args.case == "terminate_fails":
        harness.graph.fail_actions["terminate"] = (500, {"error": {
            "message": "An unexpected error has occurred.", "type": "OAuthException", "code": 2}})
    bridge = harness.start_bridge(extra_env={"MAX_CALL_DURATION_SECONDS": str(MAX_SECONDS)})
    before = e.baseline(harness)
    placed = time.monotonic()
    caller, agent = harness.connected_call(CALL_ID)
    agent.wait_event("dc_open", timeout=10)
    e.check_probe_sees_call(harness, before)
    harness.run_media(caller, agent, seconds=4)
    for peer in (caller, agent):  # the call was really up: the full pattern both ways
        harness.expect(peer.event("done"), f"{peer.label.split('.')[-1]} got the full pattern")
    harness.expect(not e.graph_counts(harness, CALL_ID)["terminate"],
                   "still up after its media", f"{time.monotonic() - placed:.1f} s")

    if e.wait_graph(harness, CALL_ID, "terminate", MAX_SECONDS + 5):
        at = harness.graph.requests_for(CALL_ID, "terminate")[0].at - placed
        h.log(f"terminate {at:.1f} s after the connect webhook (limit {MAX_SECONDS} s)")
        harness.expect(MAX_SECONDS - 0.5 <= at <= MAX_SECONDS + 2,
                       f"terminate when the {MAX_SECONDS} s are over", f"{at:.1f} s")
    ended = e.wait_call_ended(harness, CALL_ID, ("max_duration_reached",), 5)
    if ended:
        harness.expect(ended.get("graph_action") == "terminate", "call_ended graph_action terminate",
                       str(ended.get("graph_action")))
    if harness.args.case == "terminate_fails":
        try:
            h.wait_until(lambda: [l for l in bridge.logs(call_id=CALL_ID, action="terminate")
                                  if l["event"] in ("graph_call_action_failed", "graph_action_failed")
                                  and l.get("level") == "warn"], 5, "a warning about the terminate")
            harness.expect(True, "the refused terminate is logged as a warning")
        except h.E2EFailure as error:
            harness.expect(False, "the refused terminate is logged as a warning", str(error))
    e.check_openai(harness, client_secrets=0, calls=1)
    e.check_ended_and_released(harness, CALL_ID, [caller, agent], before,
                               {"pre_accept": 1, "accept": 1, "terminate": 1})


if __name__ == "__main__":
    h.main(scenario, __doc__)
