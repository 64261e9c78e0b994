#!/usr/bin/python3
"""The agent or Graph fails at one step of call setup (--case NAME): the caller is rejected and
never accepted, `call_ended` names the cause, every OpenAI call that was created is hung up, the
peers that connected see the end, and the bridge gives back what the call took (/metrics
wabridge_active_calls 0, UDP sockets and event-loop gauges as before the call).

Cases: secrets_500 (client_secrets 500, OPENAI_AUTH=ephemeral), calls_500, calls_401,
calls_stall (/realtime/calls never answers: AGENT_SETUP_TIMEOUT_SECONDS), calls_late_201 (the 201
comes after that timeout), answer_not_sdp (a 201 whose body is no SDP), answer_unusable (a 201
whose SDP lacks ICE and DTLS parameters), answer_ice_fails (a 201 whose candidate port is
closed), no_session_updated (the agent connects but never confirms its session), pre_accept_4xx,
pre_accept_4xx_late and accept_4xx (Graph refuses), caller_never_connects (the caller's media
never comes up: ACCEPT_WINDOW_SECONDS).
"""

import re
import socket
import time

import bridge_harness as h
import end_paths as e

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBBR0VOVEZBSUxVUkVTMDAwMDAwMDAwMAA="
SETUP_TIMEOUT = 3  # AGENT_SETUP_TIMEOUT_SECONDS in the cases that wait for it
GRAPH_400 = (400, {"error": {"message": "(#138006) Call action not allowed", "type": "OAuthException",
                             "code": 138006, "fbtrace_id": "AbCdE2e"}})


def closed_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_ice_and_dtls(answer):
    keep = [l for l in answer.split("\r\n")
            if not l.startswith(("a=candidate", "a=ice-", "a=fingerprint", "a=setup"))]
    return "application/sdp", "\r\n".join(keep)


def to_closed_port(answer):
    port = closed_udp_port()
    return "application/sdp", re.sub(r"(a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 )\d+", rf"\g<1>{port}",
                                     answer, flags=re.I)


def set_attr(name, value, target="openai"):
    return lambda harness: setattr(getattr(harness, target), name, value)


# What each case sets up and what must follow. pre_accept may race with an early agent failure
# (both start at once), so those cases allow 0 or 1; accept is never made except in accept_4xx,
# whose single accept is the refused one.
CASES = {
    "secrets_500": dict(
        auth="ephemeral", setup=set_attr("fail_secrets", (500, {"error": {"message": "boom"}})),
        causes=("agent_call_failed",), within=10, openai=dict(client_secrets=1, calls=0),
        graph={"pre_accept": (0, 1), "reject": 1}),
    "calls_500": dict(
        setup=set_attr("fail_calls", (500, {"error": {"message": "The server had an error"}})),
        causes=("agent_call_failed",), within=10, openai=dict(calls=1),
        graph={"pre_accept": (0, 1), "reject": 1}),
    "calls_401": dict(
        setup=set_attr("fail_calls", (401, {"error": {"message": "Incorrect API key provided",
                                                      "code": "invalid_api_key"}})),
        causes=("agent_call_failed",), within=10, openai=dict(calls=1),
        graph={"pre_accept": (0, 1), "reject": 1}),
    "calls_stall": dict(
        env={"AGENT_SETUP_TIMEOUT_SECONDS": str(SETUP_TIMEOUT)}, setup=set_attr("stall_calls", True),
        causes=("agent_setup_timeout",), within=SETUP_TIMEOUT + 4, not_before=SETUP_TIMEOUT - 0.5,
        openai=dict(calls=1), graph={"pre_accept": 1, "reject": 1}),
    # The 201 comes after the bridge gave up: that call exists at OpenAI and must be hung up.
    "calls_late_201": dict(
        env={"AGENT_SETUP_TIMEOUT_SECONDS": str(SETUP_TIMEOUT)},
        setup=set_attr("delay_calls", SETUP_TIMEOUT + 2),
        causes=("agent_setup_timeout",), within=SETUP_TIMEOUT + 4, not_before=SETUP_TIMEOUT - 0.5,
        openai=dict(calls=1), graph={"pre_accept": 1, "reject": 1}),
    "answer_not_sdp": dict(
        setup=set_attr("mangle_answer", lambda a: ("application/sdp", "<html>502 Bad Gateway</html>")),
        causes=("agent_call_failed", "agent_answer_unusable"), within=10, openai=dict(calls=1),
        graph={"pre_accept": (0, 1), "reject": 1}),
    "answer_unusable": dict(
        setup=set_attr("mangle_answer", without_ice_and_dtls),
        causes=("agent_answer_unusable",), within=10, openai=dict(calls=1),
        graph={"pre_accept": (0, 1), "reject": 1}),
    # The bridge's ICE gives up (15 s) before the setup timeout (here 25 s).
    "answer_ice_fails": dict(
        env={"AGENT_SETUP_TIMEOUT_SECONDS": "25"}, setup=set_attr("mangle_answer", to_closed_port),
        causes=("agent_leg_failed",), within=30, openai=dict(calls=1),
        graph={"pre_accept": 1, "reject": 1}),
    "no_session_updated": dict(
        env={"AGENT_SETUP_TIMEOUT_SECONDS": str(SETUP_TIMEOUT)},
        setup=lambda harness: setattr(harness, "openai_script", h.OPENAI_SCRIPT[:1]),
        causes=("agent_setup_timeout",), within=SETUP_TIMEOUT + 8, openai=dict(calls=1),
        agent_connects=True, graph={"pre_accept": 1, "reject": 1}),
    # Graph refuses pre_accept at once: the OpenAI call may still be on its way; if it gets
    # created after all, it must be hung up too.
    "pre_accept_4xx": dict(
        setup=lambda harness: harness.graph.fail_actions.update(pre_accept=GRAPH_400),
        causes=("graph_pre_accept_failed",), within=10, openai=dict(calls=(0, 1)),
        graph={"pre_accept": 1, "reject": 1}),
    # ... and after 2 s, when the OpenAI call exists for sure.
    "pre_accept_4xx_late": dict(
        setup=lambda harness: (harness.graph.fail_actions.update(pre_accept=GRAPH_400),
                               harness.graph.delay_actions.update(pre_accept=2.0)),
        causes=("graph_pre_accept_failed",), within=10, openai=dict(calls=1), agent_connects=True,
        graph={"pre_accept": 1, "reject": 1}),
    # Not the agent: the caller's media never comes up (its answer is withheld). The accept
    # window (ACCEPT_WINDOW_SECONDS) ends the wait; the agent that was ready is hung up.
    "caller_never_connects": dict(
        env={"ACCEPT_WINDOW_SECONDS": "5"},
        setup=lambda harness: setattr(harness, "withhold_answers", True),
        causes=("accept_window_expired",), within=10, not_before=4.5, openai=dict(calls=1),
        agent_connects=True, graph={"pre_accept": 1, "reject": 1}),
    "accept_4xx": dict(
        setup=lambda harness: harness.graph.fail_actions.update(accept=GRAPH_400),
        causes=("graph_accept_failed",), within=20, openai=dict(calls=1),
        graph={"pre_accept": 1, "accept": 1, "reject": 1}),
}


def scenario(harness):
    name = harness.args.case
    if name not in CASES:
        raise h.E2EFailure(f"--case must be one of {sorted(CASES)}, not {name!r}")
    case = CASES[name]
    bridge = harness.start_bridge(auth=case.get("auth", "apikey"), extra_env=case.get("env"))
    before = e.baseline(harness)
    case["setup"](harness)
    caller, _ = harness.place_call(CALL_ID)
    placed = time.monotonic()

    ended = e.wait_call_ended(harness, CALL_ID, case["causes"], case["within"])
    if ended is not None:
        took = ended["_t"] - placed
        h.log(f"call_ended {took:.1f} s after the connect: {ended}")
        if "not_before" in case:
            harness.expect(took >= case["not_before"],
                           f"the bridge waited its timeout ({case['not_before']:g}+ s)", f"{took:.1f} s")
        harness.expect(ended.get("graph_action") == "reject", "call_ended graph_action reject",
                       str(ended.get("graph_action")))
    e.wait_graph(harness, CALL_ID, "reject", 10)
    if case.get("agent_connects"):
        harness.expect(harness.agents and harness.agents[0].event("connected"),
                       "the agent leg was up before the failure (its end is checked too)")

    openai = case["openai"]
    calls = openai.get("calls")
    e.check_openai(harness, client_secrets=openai.get("client_secrets", 0),
                   calls=None if isinstance(calls, tuple) else calls)
    if isinstance(calls, tuple):
        harness.expect(harness.openai.count("calls") in calls, f"OpenAI calls x{calls}",
                       str(harness.openai.count("calls")))
    e.check_peers_see_end(harness, [caller] + harness.agents)
    e.check_released(harness, before)
    # Last, so a late or repeated action has had the time of the checks above to show.
    e.check_graph(harness, CALL_ID, case["graph"])
    e.check_no_orphan(harness)
    harness.expect(len(bridge.logs("call_ended", call_id=CALL_ID)) == 1, "exactly one call_ended",
                   str(len(bridge.logs("call_ended", call_id=CALL_ID))))
    harness.expect(bridge.alive(), "wabridge still running")


if __name__ == "__main__":
    h.main(scenario, __doc__)
