#!/usr/bin/python3
"""Telephone events are not forwarded to OpenAI (contract): the caller sends 5 RFC 4733
telephone-event packets (PT 126) among its Opus pattern; the agent must receive the whole pattern
and no telephone-event-like packet (neither PT 126 nor the 4-byte event payload under another PT).

With --control (no wabridge), a Pion caller talks straight to a Pion answerer instead, to show
the caller really sends the events and the receiver really counts them."""

import sys
import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBEVE1GMDAwMDAwMDAwMDAwMDAwMDAwMAA="
EVENTS = 5


def scenario(harness):
    harness.start_bridge(auth="apikey")
    started = time.time()
    caller, agent = harness.connected_call(CALL_ID, ["--dtmf", str(EVENTS)])
    harness.run_media(caller, agent)
    caller_report, agent_report = caller.report(), agent.report()
    harness.expect(caller_report.get("rtp_dtmf_sent") == EVENTS, f"the caller sent {EVENTS} events",
                   str(caller_report.get("rtp_dtmf_sent")))
    harness.expect(agent_report.get("rtp_dtmf_like_received") == 0,
                   "no telephone event reaches the agent",
                   f"{agent_report.get('rtp_dtmf_like_received')} received, payload types "
                   f"{agent_report.get('rtp_payload_types')}")
    harness.check_media(caller, agent)
    harness.hang_up_caller(CALL_ID, started)


def control(harness):
    sender = h.PionPeer(harness.args.pion, f"{harness.name}.sender",
                        ["--role", "offer", "--loopback", "--dtmf", str(EVENTS)], harness.args.log_dir)
    receiver = h.PionPeer(harness.args.pion, f"{harness.name}.receiver",
                          ["--role", "answer", "--loopback"], harness.args.log_dir)
    harness.agents += [sender, receiver]  # stopped by finish()
    receiver.send({"type": "offer", "sdp": sender.wait_sdp("offer")})
    sender.send({"type": "answer", "sdp": receiver.wait_sdp("answer")})
    sender.wait_event("connected", 15)
    receiver.wait_event("connected", 15)
    harness.run_media(sender, receiver, seconds=6)
    report = receiver.report()
    harness.expect(report.get("rtp_dtmf_like_received") == EVENTS,
                   f"a direct receiver counts the {EVENTS} events", str(report))
    harness.expect(126 in report.get("rtp_payload_types", []), "they arrive as PT 126", str(report))


if __name__ == "__main__":
    if "--control" in sys.argv:
        sys.argv.remove("--control")
        h.main(control, __doc__, sys.argv[1:] + ["--wabridge", "unused"])
    h.main(scenario, __doc__)
