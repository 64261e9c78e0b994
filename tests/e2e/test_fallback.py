#!/usr/bin/python3
"""FALLBACK=announce (--case no_key|calls_500|builtin): the agent cannot be had (no
OPENAI_API_KEY, or /realtime/calls answers 500), so the caller hears the announcement instead:
pre_accept, accept with the same SDP once the caller's leg is up, the Ogg Opus file's packets
byte-identical, in order, 20 ms apart with RTP timestamps 960 apart, then Graph `terminate` and
`call_ended` with `fallback: "announcement"` and the agent's cause. The file is written here
(FALLBACK_ANNOUNCEMENT), so the test knows every packet that must arrive; `builtin` sets no file
and expects the packets of the repository's assets/announcements/agent-unavailable.ogg."""

import os
import statistics

import bridge_harness as h
import end_paths as e

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBGQUxMQkFDSzAwMDAwMDAwMDAwMDAwMAA="
PACKETS = 50  # one second of audio
BUILTIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets",
                       "announcements", "agent-unavailable.ogg")
CASES = {
    "no_key": dict(api_key=False, cause="agent_unavailable", openai={"calls": 0}),
    # No FALLBACK_ANNOUNCEMENT: the recording compiled into wabridge (the repository's asset).
    "builtin": dict(api_key=False, cause="agent_unavailable", openai={"calls": 0}, builtin=True),
    "calls_500": dict(api_key=True, cause="agent_call_failed", openai={"calls": 1},
                      setup=lambda harness: setattr(harness.openai, "fail_calls", (
                          500, {"error": {"message": "The server had an error"}}))),
}


def announcement_rtp(caller, packets):
    """The caller's received RTP events whose payload is one of the announcement's packets."""
    wanted = {p.hex() for p in packets}
    return [ev for ev in caller.event("rtp") if ev.get("payload") in wanted]


def check_announcement(harness, caller, packets, offer):
    got = announcement_rtp(caller, packets)
    payloads = [ev["payload"] for ev in got]
    harness.expect(payloads == [p.hex() for p in packets],
                   f"the caller got the {len(packets)} announcement packets byte-identical, in order",
                   f"{len(got)} arrived; first differing index "
                   f"{next((i for i, (a, b) in enumerate(zip(payloads, packets)) if a != b.hex()), '-')}")
    if len(got) < 2:
        return
    seq_steps = {(b["seq"] - a["seq"]) % 65536 for a, b in zip(got, got[1:])}
    # Each timestamp step is the previous packet's length (960 for 20 ms).
    ts_off = [(i, (b["ts"] - a["ts"]) % 2**32) for i, (a, b) in enumerate(zip(got, got[1:]))
              if (b["ts"] - a["ts"]) % 2**32 != e.opus_samples(packets[i])]
    gaps = [b["t_ms"] - a["t_ms"] for a, b in zip(got, got[1:])]
    span = got[-1]["t_ms"] - got[0]["t_ms"]
    h.log(f"announcement: {len(got)} packets over {span:.0f} ms, median gap "
          f"{statistics.median(gaps):.1f} ms, seq steps {seq_steps}, "
          f"timestamp steps {sorted({(b['ts'] - a['ts']) % 2**32 for a, b in zip(got, got[1:])})}")
    harness.expect(seq_steps == {1}, "announcement packets consecutive in sequence", str(seq_steps))
    harness.expect(not ts_off, "RTP timestamp step = packet length (960 per 20 ms packet)",
                   f"{len(ts_off)} off, first (index, step) {ts_off[:1]}")
    harness.expect(len({ev["ssrc"] for ev in got}) == 1, "one SSRC for the announcement")
    harness.expect(17 <= statistics.median(gaps) <= 23, "packets ~20 ms apart (median gap)",
                   f"{statistics.median(gaps):.1f} ms")
    want_span = sum(e.opus_samples(p) for p in packets[:len(got) - 1]) / 48
    harness.expect(0.75 * want_span <= span <= 1.5 * want_span,
                   f"paced in real time: {len(got)} packets over ~{want_span} ms", f"{span:.0f} ms")
    harness.expect(all(ev.get("pt") == int(h.opus_pt(offer)) for ev in got),
                   "announcement uses the offer's Opus payload type",
                   str({ev.get("pt") for ev in got}))


def scenario(harness):
    name = harness.args.case
    if name not in CASES:
        raise h.E2EFailure(f"--case must be one of {sorted(CASES)}, not {name!r}")
    case = CASES[name]
    env = {"FALLBACK": "announce"}
    if case.get("builtin"):
        packets = e.opus_packets(BUILTIN)
    else:
        packets = e.announcement_packets(PACKETS)
        env["FALLBACK_ANNOUNCEMENT"] = e.write_ogg_opus(
            os.path.join(harness.tmp, "announcement.ogg"), packets)
    bridge = harness.start_bridge(api_key=case["api_key"], extra_env=env)
    before = e.baseline(harness)
    if "setup" in case:
        case["setup"](harness)
    caller, offer = harness.place_call(CALL_ID, ["--report-rtp"])

    pre_accept = harness.graph_action(CALL_ID, "pre_accept", timeout=10)
    accept = harness.graph_action(CALL_ID, "accept", timeout=20)
    harness.expect((accept.get("session") or {}).get("sdp") == (pre_accept.get("session") or {}).get("sdp"),
                   "accept carries the pre_accept SDP")
    caller.wait_event("connected", timeout=10)
    try:
        leg_up = bridge.wait_log("leg_connected", 5, call_id=CALL_ID, leg="whatsapp")
        sent = harness.graph.requests_for(CALL_ID, "accept")[0].wall
        harness.expect(sent >= e.log_time(leg_up) - 0.002, "accept once the caller's leg is up",
                       f"accept {sent - e.log_time(leg_up):+.3f} s from leg_connected")
    except h.E2EFailure as error:
        harness.expect(False, "accept once the caller's leg is up", str(error))
    length = sum(e.opus_samples(p) for p in packets) / 48000
    terminated = e.wait_graph(harness, CALL_ID, "terminate", length + 10)
    ended = e.wait_call_ended(harness, CALL_ID, (case["cause"],), 10)
    if ended:
        harness.expect(ended.get("fallback") == "announcement", 'call_ended fallback "announcement"',
                       str(ended))
        harness.expect(ended.get("graph_action") == "terminate", "call_ended graph_action terminate",
                       str(ended.get("graph_action")))
    check_announcement(harness, caller, packets, offer)
    got = announcement_rtp(caller, packets)
    if got and terminated:
        at = harness.graph.requests_for(CALL_ID, "terminate")[0].at
        harness.expect(got[-1]["_t"] <= at + 0.1, "terminate after the announcement's last packet",
                       f"last packet {got[-1]['_t'] - at:+.2f} s from terminate")
    accepted_at = harness.graph.requests_for(CALL_ID, "accept")[0].replying_at
    if got and accepted_at:
        harness.expect(got[0]["_t"] >= accepted_at, "no announcement before accept's 200",
                       f"first packet {got[0]['_t'] - accepted_at:+.2f} s from the 200")
    e.check_openai(harness, calls=case["openai"]["calls"], client_secrets=0)
    e.check_ended_and_released(harness, CALL_ID, [caller], before,
                               {"pre_accept": 1, "accept": 1, "terminate": 1})


if __name__ == "__main__":
    h.main(scenario, __doc__)
