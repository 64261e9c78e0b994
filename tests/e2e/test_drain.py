#!/usr/bin/python3
"""Graceful drain (--case sigterm|sigint_hangup). A call is up when the signal comes: /healthz
turns 503, a new call is rejected without reaching OpenAI, and the live call keeps its media.

sigterm: DRAIN_GRACE_SECONDS later the live call ends: Graph `terminate`, OpenAI hangup,
`call_ended` cause `shutdown`; then the process exits 0.
sigint_hangup: the caller hangs up during a long grace: the call ends (`caller_hung_up`, OpenAI
hangup, no Graph action) and the process exits 0 at once, long before the grace is over.
"""

import signal
import time

import bridge_harness as h
import end_paths as e
import probes

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBEUkFJTkxJVkUwMDAwMDAwMDAwMDAwMAA="
LATE_CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBEUkFJTkxBVEUwMDAwMDAwMDAwMDAwMAA="
CASES = {
    "sigterm": dict(signum=signal.SIGTERM, grace=8),
    "sigint_hangup": dict(signum=signal.SIGINT, grace=40),
}
PROMPT_EXIT = 6  # seconds from the last call's end to the process's exit


def healthz(bridge):
    try:
        status, _, _ = h.http_request("GET", bridge.url("/healthz"), timeout=2)
    except OSError:  # not listening (any more)
        return None
    return status


def check_draining(harness, bridge):
    """/healthz 503 and /metrics saying so, with the live call still counted."""
    try:
        h.wait_until(lambda: healthz(bridge) == 503, 3, "/healthz 503")
        harness.expect(True, "/healthz answers 503 while draining")
    except h.E2EFailure as error:
        harness.expect(False, "/healthz answers 503 while draining", str(error))
    values = probes.metrics(bridge)
    harness.expect(values.get("wabridge_draining") == 1, "/metrics wabridge_draining 1",
                   str(values.get("wabridge_draining")))
    harness.expect(values.get("wabridge_active_calls") == 1, "/metrics still counts the live call",
                   str(values.get("wabridge_active_calls")))


def check_late_call_rejected(harness):
    """A connect during the drain: Graph reject, nothing else, OpenAI never asked."""
    calls_before = harness.openai.count("calls")
    harness.place_call(LATE_CALL_ID)
    e.wait_graph(harness, LATE_CALL_ID, "reject", 5)
    e.check_graph(harness, LATE_CALL_ID, {"reject": 1})
    harness.expect(harness.openai.count("calls") == calls_before,
                   "no OpenAI call for a connect during the drain",
                   f"{harness.openai.count('calls') - calls_before} new")


def scenario(harness):
    name = harness.args.case
    if name not in CASES:
        raise h.E2EFailure(f"--case must be one of {sorted(CASES)}, not {name!r}")
    case = CASES[name]
    grace = case["grace"]
    bridge = harness.start_bridge(extra_env={"DRAIN_GRACE_SECONDS": str(grace)})
    started = time.time()
    before = e.baseline(harness)
    caller, agent = harness.connected_call(CALL_ID, ["--report-rtp"])
    agent.wait_event("dc_open", timeout=10)
    e.check_probe_sees_call(harness, before)
    signalled = e.signal_bridge(harness, case["signum"])
    check_draining(harness, bridge)
    check_late_call_rejected(harness)

    # The live call goes on: the full pattern both ways, well inside the grace.
    harness.run_media(caller, agent, seconds=5)
    for peer in (caller, agent):  # `done`: all 100 pattern packets arrived byte-identical
        harness.expect(peer.event("done"), f"{peer.label.split('.')[-1]} got the full pattern "
                       "during the drain")
    harness.expect(not e.graph_counts(harness, CALL_ID)["terminate"] and bridge.alive(),
                   "the live call is still up after its media", f"{time.monotonic() - signalled:.1f} s")

    if name == "sigterm":
        if e.wait_graph(harness, CALL_ID, "terminate", grace + 5):
            at = harness.graph.requests_for(CALL_ID, "terminate")[0].at
            harness.expect(at - signalled >= grace - 0.5,
                           f"terminate only when the grace ({grace} s) is over",
                           f"{at - signalled:.1f} s after the signal")
            # Agent audio, then the bridge's silence: the caller's stream runs to the end.
            before_end = [ev for ev in caller.event("rtp") if ev["_t"] <= at]
            last = before_end[-1]["_t"] - at if before_end else None
            harness.expect(last is not None and last >= -0.5,
                           "the caller's stream ran until the grace ended",
                           f"last packet {last} s before terminate")
        ended = e.wait_call_ended(harness, CALL_ID, ("shutdown",), 5)
        if ended:
            harness.expect(ended.get("graph_action") == "terminate", "call_ended graph_action terminate",
                           str(ended.get("graph_action")))
        call_over = time.monotonic()
        graph = {"pre_accept": 1, "accept": 1, "terminate": 1}
    else:
        harness.hang_up_caller(CALL_ID, started)
        call_over = time.monotonic()
        ended = e.wait_call_ended(harness, CALL_ID, ("caller_hung_up",), 5)
        graph = {"pre_accept": 1, "accept": 1}

    status, exited = e.wait_bridge_exit(harness, PROMPT_EXIT + 4)
    e.check_openai(harness, client_secrets=0, calls=1)
    e.check_peers_see_end(harness, [caller, agent])
    harness.expect(status == 0, "wabridge exits 0 after the drain", f"status {status}")
    h.log(f"exit {exited - signalled:.1f} s after the signal, {exited - call_over:.1f} s after "
          f"the call ended (grace {grace} s)")
    if status is not None:
        harness.expect(exited - call_over <= PROMPT_EXIT,
                       f"it exits within {PROMPT_EXIT} s of the last call's end",
                       f"{exited - call_over:.1f} s")
        if name == "sigint_hangup":
            harness.expect(exited - signalled < grace - 5, "it exits long before the grace ends",
                           f"{exited - signalled:.1f} s after the signal, grace {grace} s")
    harness.expect(bridge.logs("wabridge_stopped"), "wabridge_stopped logged")
    e.check_graph(harness, CALL_ID, graph)
    harness.expect(len(bridge.logs("call_ended", call_id=CALL_ID)) == 1, "exactly one call_ended")


if __name__ == "__main__":
    h.main(scenario, __doc__)
