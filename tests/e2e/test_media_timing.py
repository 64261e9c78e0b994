#!/usr/bin/python3
"""Media timing towards WhatsApp (whatsapp.md §3.5): no RTP reaches the caller before the 200 of
`accept` (the fake Graph holds that answer back for 2 s while both legs are already up), and
while the agent sends nothing the bridge keeps the caller's stream alive with Opus silence."""

import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBUSU1JTkcwMDAwMDAwMDAwMDAwMDAwMAA="
ACCEPT_DELAY = 2.0
SILENCE_WINDOW = 3.0
MIN_SILENCE_PACKETS = 10  # lenient: 50 packets/s is usual, sparse (DTX-like) silence is allowed


def scenario(harness):
    harness.graph.delay_actions["accept"] = ACCEPT_DELAY
    bridge = harness.start_bridge(auth="apikey")
    started = time.time()
    caller, _ = harness.place_call(CALL_ID)
    agent = harness.agent(timeout=15)
    harness.graph_action(CALL_ID, "accept", timeout=20)  # arrived; its 200 is held back
    accept = harness.graph.requests_for(CALL_ID, "accept")[0]
    h.wait_until(lambda: accept.replied_at, ACCEPT_DELAY + 5, "the 200 of accept")
    # The earliest the bridge could see the 200 (replied_at may be stamped after the caller's
    # first packet is already read: thread scheduling).
    replied_at = accept.replying_at
    caller.wait_event("connected", timeout=10)
    agent.wait_event("connected", timeout=10)
    try:
        first = caller.wait_event("first_rtp", timeout=5)
        early = replied_at - first["_t"]
        harness.expect(first["_t"] >= replied_at, "no RTP to the caller before accept's 200",
                       f"first packet {early:.2f} s before the 200")
        harness.expect(str(first.get("pt")) == h.opus_pt(harness.answered[CALL_ID]),
                       "the first packet is Opus", f"pt {first.get('pt')}")
    except h.E2EFailure as error:
        harness.expect(False, "RTP (silence) reaches the caller after accept", str(error))
        first = None
    if first:
        deadline = first["_t"] + SILENCE_WINDOW
        h.wait_until(lambda: time.monotonic() >= deadline, SILENCE_WINDOW + 1, "the silence window")
    report = caller.report()
    received = int(report.get("rtp_received", 0))
    harness.expect(received >= MIN_SILENCE_PACKETS,
                   f"silence to the caller while the agent is quiet (>= {MIN_SILENCE_PACKETS} "
                   f"packets in {SILENCE_WINDOW:g} s)", f"{received} packets")
    harness.expect(int(report.get("rtp_valid", 0)) == 0, "the agent sent nothing (all silence)",
                   str(report))
    h.log(f"caller got {received} packets, payload types {report.get('rtp_payload_types')}")
    harness.hang_up_caller(CALL_ID, started)
    try:
        bridge.wait_log("call_ended", 10)
        harness.expect(True, "call_ended logged")
    except h.E2EFailure as error:
        harness.expect(False, "call_ended logged", str(error))


if __name__ == "__main__":
    h.main(scenario, __doc__)
