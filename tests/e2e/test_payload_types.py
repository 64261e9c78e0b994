#!/usr/bin/python3
"""WhatsApp's payload types are read, not assumed: a caller offering Opus 107 and
telephone-event 101 (the PTs of Meta's SIP sample, whatsapp.md §2.1) gets an answer with Opus 107,
the OpenAI offer uses 107 too, and the pattern arrives byte-identical both ways on PT 107."""

import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBQVDEwNzAwMDAwMDAwMDAwMDAwMDAwMAA="


def scenario(harness):
    harness.start_bridge(auth="apikey")
    started = time.time()
    caller, agent = harness.connected_call(CALL_ID, ["--opus-pt", "107", "--dtmf-pt", "101"])
    offer = caller.find(lambda e: e.get("type") == "offer")[0]["sdp"]
    harness.expect(h.opus_pt(offer) == "107", "the caller offers Opus 107", str(h.opus_pt(offer)))
    problems = h.check_whatsapp_answer(harness.answered[CALL_ID], offer)
    harness.expect(not problems, "answer valid for the 107 offer", "; ".join(problems))
    problems = h.check_openai_offer(harness.openai.offers[0][1], offer)
    harness.expect(not problems, "OpenAI offer uses Opus 107", "; ".join(problems))
    harness.run_media(caller, agent)
    harness.hang_up_caller(CALL_ID, started)
    caller_report, agent_report = caller.report(), agent.report()
    harness.expect(agent_report.get("rtp_payload_types") == [107], "the agent receives PT 107 only",
                   str(agent_report.get("rtp_payload_types")))
    harness.expect(caller_report.get("rtp_payload_types") == [107], "the caller receives PT 107 only",
                   str(caller_report.get("rtp_payload_types")))
    harness.check_media(caller, agent)


if __name__ == "__main__":
    h.main(scenario, __doc__)
