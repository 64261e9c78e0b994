#!/usr/bin/python3
"""Happy path, OPENAI_AUTH=apikey: a WhatsApp-shaped caller (Pion) reaches an OpenAI-shaped agent
(Pion) through wabridge; pre_accept/accept, the multipart offer to OpenAI, the session.update the
agent receives, byte-identical Opus both ways, transcripts in the log, caller hang-up."""

import json
import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCA0QjE5RTJFMkE1RTM5QTQ3RDlGAA=="


def check_session(harness, session, where):
    """The seed's settings (seed/openai-realtime-integration.md, GA shape of openai.md §3.4)."""
    audio = session.get("audio") or {}
    audio_in = audio.get("input") or {}
    turn = audio_in.get("turn_detection") or {}
    harness.expect(session.get("type") == "realtime", f"{where}: type realtime", json.dumps(session)[:300])
    harness.expect(isinstance(session.get("model"), str) and session.get("model"),
                   f"{where}: a model", f"model {session.get('model')!r}")
    harness.expect((audio.get("output") or {}).get("voice") == "alloy", f"{where}: voice alloy",
                   f"audio.output {audio.get('output')}")
    harness.expect(turn.get("type") == "server_vad", f"{where}: server_vad", f"turn_detection {turn}")
    harness.expect(turn.get("silence_duration_ms") == 200, f"{where}: silence_duration_ms 200",
                   f"turn_detection {turn}")
    transcription = audio_in.get("transcription")
    harness.expect(isinstance(transcription, dict) and transcription.get("model"),
                   f"{where}: input transcription on", f"transcription {transcription}")


def check_pair_types(harness, bridge):
    """Both peers offer only a loopback UDP host candidate: each leg's selected pair is host, in
    leg_connected and in /metrics."""
    for leg in ("whatsapp", "agent"):
        try:
            entry = bridge.wait_log("leg_connected", 10, leg=leg)
        except h.E2EFailure as error:
            harness.expect(False, f"leg_connected logged for the {leg} leg", str(error))
            continue
        harness.expect(entry.get("local_candidate") == "host"
                       and entry.get("remote_candidate") == "host",
                       f"leg_connected names the {leg} leg's pair type host", str(entry))
    metrics = h.http_request("GET", bridge.url("/metrics"))[2].decode()
    for metric_leg in ("caller", "agent"):
        sample = f'wabridge_legs_connected_total{{leg="{metric_leg}",candidate="host"}} 1'
        harness.expect(sample in metrics, f"/metrics counts the {metric_leg} leg as host",
                       [line for line in metrics.splitlines() if "legs_connected" in line])


def scenario(harness):
    bridge = harness.start_bridge(auth="apikey")
    caller, offer = harness.place_call(CALL_ID)
    started = time.time()

    pre_accept = harness.graph_action(CALL_ID, "pre_accept", timeout=10)
    answer = (pre_accept.get("session") or {}).get("sdp", "")
    harness.expect(pre_accept.get("messaging_product") == "whatsapp"
                   and (pre_accept.get("session") or {}).get("sdp_type") == "answer",
                   "pre_accept body shape", json.dumps(pre_accept)[:300])
    problems = h.check_whatsapp_answer(answer, offer)
    harness.expect(not problems, "pre_accept answer SDP valid", "; ".join(problems))

    agent = harness.agent(timeout=15)
    kind, openai_offer, session, parts = harness.openai.offers[0]
    harness.expect(kind == "multipart", "OpenAI offer posted as multipart with the API key", kind)
    harness.expect(parts["sdp"][0] == "application/sdp", "multipart sdp part is application/sdp",
                   parts["sdp"][0])
    harness.expect(parts["session"][0] == "application/json",
                   "multipart session part is application/json", parts["session"][0])
    check_session(harness, session, "multipart session")
    problems = h.check_openai_offer(openai_offer, offer)
    harness.expect(not problems, "OpenAI offer SDP valid", "; ".join(problems))

    accept = harness.graph_action(CALL_ID, "accept", timeout=20)
    harness.expect((accept.get("session") or {}).get("sdp") == answer,
                   "accept carries the pre_accept SDP", "SDPs differ")
    actions = [a for a, b in harness.graph.actions() if b.get("call_id") == CALL_ID]
    harness.expect(actions[:2] == ["pre_accept", "accept"], "pre_accept precedes accept", str(actions))
    graph_auth = {r.headers.get("authorization") for r in harness.graph.snapshot()}
    harness.expect(graph_auth == {"Bearer " + h.ACCESS_TOKEN}, "Graph calls carry the Bearer token",
                   str(len(graph_auth)))

    caller.wait_event("connected", timeout=20)
    agent.wait_event("connected", timeout=20)
    check_pair_types(harness, bridge)
    opened = agent.wait_event("dc_open", timeout=15)
    harness.expect(opened.get("label") == "oai-events", "data channel label oai-events",
                   str(opened.get("label")))

    update = h.wait_until(lambda: [m for m in agent.dc_messages() if m.get("type") == "session.update"],
                          10, "session.update on the data channel")[0]
    check_session(harness, update.get("session") or {}, "session.update")
    h.wait_until(lambda: [m for m in agent.dc_messages() if m.get("type") == "response.create"],
                 10, "response.create after session.updated")
    not_json = [m for m in agent.dc_messages() if m.get("type") == "__not_json__"]
    harness.expect(not not_json, "every data-channel message is JSON", str(not_json[:1]))

    harness.run_media(caller, agent)

    # Transcripts, as OpenAI sends them once a turn's text is final.
    agent.send({"type": "dc_send", "text": json.dumps({
        "type": "conversation.item.input_audio_transcription.completed", "event_id": "event_e2e_10",
        "item_id": "item_e2e_1", "content_index": 0, "transcript": h.CALLER_TEXT})})
    agent.send({"type": "dc_send", "text": json.dumps({
        "type": "response.output_audio_transcript.done", "event_id": "event_e2e_11",
        "response_id": "resp_e2e_1", "item_id": "item_e2e_2", "output_index": 0,
        "content_index": 0, "transcript": h.AGENT_TEXT})})
    for speaker, text in (("caller", h.CALLER_TEXT), ("agent", h.AGENT_TEXT)):
        try:
            entry = bridge.wait_log("transcript", 5, speaker=speaker)
            harness.expect(entry.get("text") == text, f"{speaker} transcript logged",
                           f"text {entry.get('text')!r}")
            harness.expect(entry.get("call_id"), f"{speaker} transcript has a call_id", str(entry))
        except h.E2EFailure as error:
            harness.expect(False, f"{speaker} transcript logged", str(error))

    harness.hang_up_caller(CALL_ID, started)
    try:
        h.wait_until(harness.openai.hangups, 10, f"POST /v1/realtime/calls/{h.OPENAI_CALL_ID}/hangup")
        hangup = harness.openai.hangups()[0]
        harness.expect(hangup.bearer() == h.API_KEY, "OpenAI hangup with the API key")
        harness.expect(True, "OpenAI hangup for rtc_test123")
    except h.E2EFailure as error:
        harness.expect(False, "OpenAI hangup for rtc_test123", str(error))
    try:
        ended = bridge.wait_log("call_ended", 10)
        harness.expect(ended.get("cause"), "call_ended has a cause", str(ended))
    except h.E2EFailure as error:
        harness.expect(False, "call_ended logged", str(error))
    gone = ("disconnected", "failed", "closed")
    for peer in (caller, agent):
        try:
            h.wait_until(lambda: set(peer.states()) & set(gone) or peer.event("dc_closed"), 15,
                         f"{peer.label} to see the connection end")
            harness.expect(True, f"{peer.label.split('.')[-1]} sees the connection end")
        except h.E2EFailure as error:
            harness.expect(False, f"{peer.label.split('.')[-1]} sees the connection end", str(error))

    harness.check_media(caller, agent)
    later = [a for a, b in harness.graph.actions() if b.get("call_id") == CALL_ID][2:]
    harness.expect(not [a for a in later if a in ("pre_accept", "accept", "connect")],
                   "no further call setup after hang-up", str(later))
    harness.check_stdout_is_json_lines()


if __name__ == "__main__":
    h.main(scenario, __doc__)
