"""The agent scenarios: each takes a test_agent.Run, places its calls and checks what the agent
(openaisim) received and what the caller (metasim) heard or got."""

import base64
import glob
import json
import os
from datetime import datetime, timezone

from agent_harness import ArrivalWatch, ToolBackend, find_run, ogg_packets
from checks import check, log
from simprocs import read_json_lines, ts

OPUS_SILENCE = bytes([0xF8, 0xFF, 0xFE])  # the frame the bridge sends while the agent is quiet

NUMBER_A, NUMBER_B = "111111111111111", "222222222222222"
DISPLAY_NUMBER = "15550783881"  # metasim's default display number (the call's `to`)
CALLER_TRANSCRIPT = "Hello, I would like to book a table for two tonight."
REPLY_TRANSCRIPT = "Certainly! A table for two tonight. What time would you like?"
# The greeting (reply.ogg, about 4.8 s) has played out by then: no barge-in unless wanted.
SPEAK_AT = "5500ms"


def completed(run, results, n):
    """metasim's results: n calls, each completed; returns them."""
    check(len(results) == n and all(r.get("outcome") == "completed" for r in results),
          f"metasim: {n} call(s) completed",
          [(r.get("outcome"), r.get("cause")) for r in results] or run.meta.stderr_tail())
    return results


def of_type(events, typ):
    return [e for e in events if e.get("type") == typ]


def next_after(events, pred):
    """The event right after the first one matching pred (None when there is none)."""
    for i, e in enumerate(events):
        if pred(e):
            return events[i + 1] if i + 1 < len(events) else None
    return None


def session_of(update):
    return update.get("session") if isinstance(update.get("session"), dict) else {}


def voice_of(session):
    return ((session.get("audio") or {}).get("output") or {}).get("voice")


def function_outputs(events):
    return [e for e in of_type(events, "conversation.item.create")
            if (e.get("item") or {}).get("type") == "function_call_output"]


def tool_calls_sent(run, agent_id):
    return [e for e in run.oai.events("tool_call_sent") if e.get("call_id") == agent_id]


# --- 1. per-number profiles -----------------------------------------------------------------------

PROFILES = {
    NUMBER_A: {"voice": "verse", "instructions": "You take delivery orders for Luigi's.",
               "greeting": "Say: Luigi's delivery, what would you like?"},
    NUMBER_B: {"voice": "alloy", "instructions": "You answer for Rosa's Bakery.",
               "greeting": "Say: Rosa's Bakery, good day!"},
}


def profiles(run):
    toml = '[agent]\nvoice = "marin"\ninstructions = "The default agent."\n'
    for number, p in PROFILES.items():
        toml += f'\n[numbers."{number}"]\n' + "".join(
            f"{k} = {json.dumps(v)}\n" for k, v in p.items())
    run.start(toml)
    results = completed(run, run.call("--phone-number-ids", f"{NUMBER_A},{NUMBER_B}",
                                      "--calls", "2", "--gap", "300ms", "--hangup-after", "4s"), 2)
    run.finish()
    check(sorted(r.get("phone_number_id") for r in results) == [NUMBER_A, NUMBER_B],
          "metasim called both business numbers", [r.get("phone_number_id") for r in results])
    started = {e.get("call_id"): e.get("phone_number_id")
               for e in run.bridge.events("call_started")}
    for r in results:
        number, wa = r.get("phone_number_id"), r.get("call_id")
        p = PROFILES.get(number, {})
        check(started.get(wa) == number, f"{number}: wabridge saw the call to its number",
              started.get(wa))
        events = run.client_events(run.agent_of(wa))
        updates = of_type(events, "session.update")
        check(len(updates) >= 1, f"{number}: the agent received session.update", len(updates))
        for u in updates:
            s = session_of(u)
            check(voice_of(s) == p["voice"] and s.get("instructions") == p["instructions"],
                  f"{number}: session.update carries its voice and instructions",
                  (voice_of(s), s.get("instructions")))
        creates = of_type(events, "response.create")
        first = (creates[0].get("response") or {}) if creates else {}
        check(first.get("instructions") == p["greeting"],
              f"{number}: the greeting response.create carries its greeting", first)
        graph = r.get("graph_actions") or []
        check("accept" in graph, f"{number}: Graph accept on the call's own number", graph)


# --- 2. DTMF --------------------------------------------------------------------------------------

DTMF_MESSAGE = "The caller pressed {digit} on the keypad."


def dtmf(run):
    run.start(f"[agent]\ndtmf_message = {json.dumps(DTMF_MESSAGE)}\n")
    results = completed(run, run.call("--dtmf", "3", "--dtmf-at", "2s", "--hangup-after", "6s"), 1)
    run.finish()
    wa = results[0].get("call_id") if results else None
    check((results or [{}])[0].get("dtmf_sent") == "3", "metasim pressed 3")
    agent = run.agent_of(wa)
    events = run.client_events(agent)
    want_text = DTMF_MESSAGE.replace("{digit}", "3")
    is_digit = (lambda e: e.get("type") == "conversation.item.create" and
                (e.get("item") or {}).get("type") == "message")
    messages = [e for e in events if is_digit(e)]
    check(len(messages) == 1, "the agent received one user message for the digit", len(messages))
    item = (messages or [{}])[0].get("item") or {}
    check(item.get("role") == "user" and item.get("content") ==
          [{"type": "input_text", "text": want_text}],
          "the message is the profile's dtmf_message as the caller's input_text", item)
    after = next_after(events, is_digit)
    check(after is not None and after.get("type") == "response.create",
          "a response.create follows the digit's message", after)
    digits = [e.get("digit") for e in run.bridge.events("dtmf") if e.get("call_id") == wa]
    check(digits == ["3"], "wabridge logged the digit once", digits)
    report = run.oai_report(agent)
    check(report.get("packets_received", 0) > 50 and report.get("packets_other_pt") == 0,
          "the agent's audio track carried Opus only (no telephone-event)",
          f"{report.get('packets_received')} packets, {report.get('packets_other_pt')} not Opus")


# --- 3a. the built-in end_call tool ---------------------------------------------------------------

def end_call(run):
    run.start(oai_flags=["--tool-call", "end_call:{}"])
    results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                      "--caller-audio-at", SPEAK_AT, "--hangup-after", "30s"), 1)
    run.finish()
    r = (results or [{}])[0]
    wa = r.get("call_id")
    agent = run.agent_of(wa)
    check(r.get("cause") == "terminated_by_business" and
          "terminate" in (r.get("graph_actions") or []),
          "the business ended the call with Graph terminate (before the caller's hang-up)",
          (r.get("cause"), r.get("graph_actions")))
    sent = tool_calls_sent(run, agent)
    check(len(sent) == 1 and sent[0].get("name") == "end_call", "openaisim called end_call", sent)
    tool_id = (sent or [{}])[0].get("tool_call_id")
    events = run.client_events(agent)
    outputs = function_outputs(events)
    check(len(outputs) == 1 and (outputs[0].get("item") or {}).get("call_id") == tool_id,
          "wabridge answered end_call with its function_call_output", outputs)
    i = events.index(outputs[0]) if outputs else len(events)
    check(not of_type(events[i:], "response.create"),
          "no response.create after end_call (the goodbye was the last word)")
    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["agent_ended_call"] and
          ended[0].get("graph_action") == "terminate",
          "wabridge call_ended cause agent_ended_call with Graph terminate",
          [(e.get("cause"), e.get("graph_action")) for e in ended])
    hangups = [e for e in run.oai.events("hangup_request") if e.get("call_id") == agent]
    check(len(hangups) == 1, "wabridge hung up the agent (OpenAI hangup)", len(hangups))
    # The goodbye plays out first: terminate only after output_audio_buffer.stopped of the reply.
    stopped = [ts(e) for e in run.oai.events("event_sent") if e.get("call_id") == agent and
               e.get("type") == "output_audio_buffer.stopped"]
    tool_at = ts((sent or [{}])[0])
    stopped_after_tool = [t for t in stopped if tool_at is not None and t >= tool_at]
    terminate_at = [ts(e) for e in run.meta.events("graph_action")
                    if e.get("call_id") == wa and e.get("action") == "terminate"]
    check(bool(stopped_after_tool) and bool(terminate_at) and
          stopped_after_tool[0] <= terminate_at[0] <= stopped_after_tool[0] + 3,
          "Graph terminate came after the goodbye played out (output_audio_buffer.stopped), "
          "within 3 s", (tool_at, stopped_after_tool, terminate_at))
    if stopped_after_tool and terminate_at and tool_at:
        log(f"  end_call at +0, audio stopped at +{stopped_after_tool[0] - tool_at:.2f} s, "
            f"terminate at +{terminate_at[0] - tool_at:.2f} s")


# --- 3b. HTTP tools -------------------------------------------------------------------------------

TOOL_ARGS = {"party": 2, "date": "2026-11-25"}


def tool_toml(name, url, timeout=5, headers=None):
    t = (f'\n[[agent.tools]]\nname = "{name}"\ndescription = "Test tool {name}."\n'
         f'url = "{url}"\ntimeout_seconds = {timeout}\n'
         'parameters = { type = "object", properties = { party = { type = "integer" }, '
         'date = { type = "string" } } }\n')
    if headers:
        t += "headers = { " + ", ".join(f'"{k}" = "{v}"' for k, v in headers.items()) + " }\n"
    return t


def http_tool(run):
    backend = ToolBackend()
    try:
        run.start("[agent]\n" + tool_toml("check_availability", backend.url("/ok"),
                                           headers={"X-Tool-Token": "tok-123"}),
                  oai_flags=["--tool-call", "check_availability:" + json.dumps(TOOL_ARGS)])
        results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                          "--caller-audio-at", SPEAK_AT,
                                          "--hangup-after", "15s"), 1)
        run.finish()
    finally:
        backend.close()
    wa = (results or [{}])[0].get("call_id")
    placed = [e for e in run.meta.events("call_placed") if e.get("call_id") == wa]
    caller = (placed or [{}])[0].get("from")
    agent = run.agent_of(wa)
    check(len(backend.requests) == 1, "the backend got one request", len(backend.requests))
    req = (backend.requests or [{}])[0]
    headers = {k.lower(): v for k, v in (req.get("headers") or {}).items()}
    check(headers.get("x-tool-token") == "tok-123", "with the configured header", headers)
    check(headers.get("content-type", "").startswith("application/json"), "as JSON", headers)
    try:
        body = json.loads(req.get("body") or "")
    except ValueError:
        body = {}
    want_call = {"call_id": wa, "phone_number_id": "106540352242922", "from": caller,
                 "to": DISPLAY_NUMBER}
    check(body.get("tool") == "check_availability" and body.get("arguments") == TOOL_ARGS,
          "the backend got the tool's name and the model's arguments", body)
    check(body.get("call") == want_call, "and the call's ids", (body.get("call"), want_call))
    events = run.client_events(agent)
    outputs = function_outputs(events)
    sent = tool_calls_sent(run, agent)
    item = (outputs or [{}])[0].get("item") or {}
    check(len(outputs) == 1 and item.get("call_id") == (sent or [{}])[0].get("tool_call_id") and
          item.get("output") == ToolBackend.OK_BODY,
          "the agent got the backend's body as the function_call_output", item)
    after = next_after(events, lambda e: e in outputs)
    check(after is not None and after.get("type") == "response.create",
          "then a response.create (the model answers with the result)", after)
    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["caller_hung_up"], "the call went on to the caller's "
          "hang-up", [e.get("cause") for e in ended])


def tool_errors(run):
    backend = ToolBackend(slow_seconds=3)
    try:
        run.start("[agent]\n" + tool_toml("broken", backend.url("/fail")) +
                  tool_toml("slow", backend.url("/slow"), timeout=1),
                  oai_flags=["--tool-call", "broken:{}", "--tool-call", "slow:{}"])
        results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                          "--caller-audio-at", SPEAK_AT, "--hangup-after", "12s",
                                          "--calls", "2", "--gap", "300ms"), 2)
        run.finish()
    finally:
        backend.close()
    paths = sorted(r.get("path") for r in backend.requests)
    check(paths == ["/fail", "/slow"], "the backend got both tool requests", paths)
    for r, name in zip(results, ("broken", "slow")):
        wa = r.get("call_id")
        agent = run.agent_of(wa)
        sent = tool_calls_sent(run, agent)
        check([e.get("name") for e in sent] == [name], f"{name}: openaisim called it", sent)
        events = run.client_events(agent)
        outputs = function_outputs(events)
        item = (outputs or [{}])[0].get("item") or {}
        try:
            output = json.loads(item.get("output") or "")
        except ValueError:
            output = {}
        check(len(outputs) == 1 and isinstance(output, dict) and "error" in output,
              f"{name}: the model got an {{\"error\": ...}} output", item)
        after = next_after(events, lambda e: e in outputs)
        check(after is not None and after.get("type") == "response.create",
              f"{name}: then a response.create", after)
        if name == "slow" and sent and outputs:
            got = [ts(e) for e in read_json_lines(run.events_path)
                   if e.get("call_id") == agent and e.get("event") == outputs[0]]
            delay = got[0] - ts(sent[0]) if got and ts(sent[0]) else None
            check(delay is not None and 0.8 <= delay <= 2.5,
                  "slow: the error came at the tool's 1 s timeout, not the backend's 3 s", delay)
        ended = run.bridge_ended(wa)
        check([e.get("cause") for e in ended] == ["caller_hung_up"],
              f"{name}: the call continued to the caller's hang-up",
              [e.get("cause") for e in ended])


# --- 4. transcripts and recordings ----------------------------------------------------------------

def stem_of(call_id):
    return "".join(c if c.isascii() and (c.isalnum() or c in ".-") else "_" for c in call_id)


def call_data(run):
    data_dir = os.path.join(run.dir, "call-data")
    run.start(env={"CALL_DATA_DIR": data_dir, "RECORD_CALLS": "1"})
    days = {datetime.now(timezone.utc).strftime("%Y-%m-%d")}
    results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                      "--caller-audio-at", SPEAK_AT, "--hangup-after", "16s"), 1)
    days.add(datetime.now(timezone.utc).strftime("%Y-%m-%d"))  # a run across midnight
    run.finish()
    wa = (results or [{}])[0].get("call_id", "")
    stem = stem_of(wa)
    found = glob.glob(os.path.join(data_dir, "*", stem + ".*"))
    folder = os.path.dirname(found[0]) if found else data_dir
    check(os.path.basename(folder) in days, "call data in a folder named by the UTC day",
          os.path.relpath(folder, data_dir))
    check(sorted(os.path.basename(f) for f in found) ==
          sorted(stem + s for s in (".transcript.jsonl", ".caller.ogg", ".agent.ogg")) and
          all(os.path.dirname(f) == folder for f in found),
          f"call data: <day>/{stem}.{{transcript.jsonl,caller.ogg,agent.ogg}}",
          [os.path.relpath(f, data_dir) for f in found])
    lines = read_json_lines(os.path.join(folder, stem + ".transcript.jsonl"))
    check(all(set(l) == {"ts", "call_id", "speaker", "text"} and l["call_id"] == wa and
              l["speaker"] in ("caller", "agent") and ts(l) for l in lines) and lines,
          "every transcript line has ts, call_id, speaker, text", lines[:3])
    said = [(l.get("speaker"), l.get("text")) for l in lines]
    check(("caller", CALLER_TRANSCRIPT) in said and ("agent", REPLY_TRANSCRIPT) in said,
          "the transcript holds the caller's turn and the agent's reply", said)
    check(said.index(("caller", CALLER_TRANSCRIPT)) < len(said) - 1 if ("caller", CALLER_TRANSCRIPT)
          in said else False, "the agent replied after the caller's turn", said)

    def packets(path):
        try:
            return ogg_packets(path)
        except (OSError, ValueError) as e:
            check(False, f"readable Ogg Opus: {os.path.basename(path)}", e)
            return []

    clip_caller, clip_reply = packets(run.asset("caller.ogg")), packets(run.asset("reply.ogg"))
    rec_caller = packets(os.path.join(folder, stem + ".caller.ogg"))
    rec_heard = packets(os.path.join(folder, stem + ".agent.ogg"))
    by_agent, by_caller = packets(run.agent_heard_path), packets(run.heard_path)
    log(f"  packets: caller.ogg {len(rec_caller)}, agent.ogg {len(rec_heard)}, openaisim heard "
        f"{len(by_agent)}, metasim heard {len(by_caller)}, "
        f"clips {len(clip_caller)}/{len(clip_reply)}")
    check(find_run(rec_caller, clip_caller) >= 0, "caller.ogg holds the caller's clip, packet for "
          "packet")
    inner = by_agent[5:-5]
    check(len(inner) > 100 and find_run(rec_caller, inner) >= 0,
          "caller.ogg holds what the agent received, in order", len(inner))
    check(find_run(rec_heard, clip_reply) >= 0,
          "agent.ogg holds the agent's reply, packet for packet")
    inner = by_caller[5:-5]
    check(len(inner) > 0.9 * len(rec_heard) - 20 and find_run(rec_heard, inner) >= 0,
          "agent.ogg is what the caller heard (metasim's recording), in order",
          f"{len(by_caller)} heard, {len(rec_heard)} recorded")


# --- 5. Azure OpenAI ------------------------------------------------------------------------------

def azure(run):
    key = "azure-test-key-1234"
    run.start('[agent]\nprovider = "azure"\n', api_key=key, env={
        "AZURE_OPENAI_API_KEY": key,
        "AZURE_OPENAI_BASE_URL": f"http://127.0.0.1:{run.port_openai}/openai/v1"})
    results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                      "--caller-audio-at", SPEAK_AT, "--hangup-after", "11s"), 1)
    run.finish()
    wa = (results or [{}])[0].get("call_id")
    agent = run.agent_of(wa)
    reqs = run.oai.events("call_request")
    check([(e.get("path"), e.get("key_header")) for e in reqs] ==
          [("/openai/v1/realtime/calls", "api-key")],
          "the agent call went to /openai/v1/realtime/calls with the api-key header only",
          [(e.get("path"), e.get("key_header")) for e in reqs])
    events = run.client_events(agent)
    check(of_type(events, "session.update") and of_type(events, "response.create"),
          "the agent was configured and greeted", [e.get("type") for e in events][:6])
    check(any(e.get("speaker") == "caller" for e in run.bridge.events("transcript")),
          "the caller's turn reached the agent (caller transcript)")
    hangups = [(e.get("path"), e.get("key_header")) for e in run.oai.events("hangup_request")]
    check(hangups == [(f"/openai/v1/realtime/calls/{agent}/hangup", "api-key")],
          "hang-up went to /openai/v1/realtime/calls/{id}/hangup with api-key", hangups)
    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["caller_hung_up"], "the call ended normally",
          [e.get("cause") for e in ended])


# --- 6. barge-in ----------------------------------------------------------------------------------

def barge_in(run):
    leak = 15
    # The greeting is the long caller clip (distinct from the reply): the caller talks over it.
    # 12 s: 1 s + the caller's clip (3.7 s) + end of speech (0.6 s) + the whole reply (4.8 s).
    run.start(oai_flags=["--greeting-audio", run.asset("caller.ogg"), "--greeting-transcript",
                         "A long greeting.", "--leak-after-clear", str(leak)])
    results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                      "--caller-audio-at", "1s", "--hangup-after", "12s"), 1)
    run.finish()
    wa = (results or [{}])[0].get("call_id")
    agent = run.agent_of(wa)
    sent = [e.get("type") for e in run.oai.events("event_sent") if e.get("call_id") == agent]
    check("input_audio_buffer.speech_started" in sent and "output_audio_buffer.cleared" in sent,
          "openaisim detected the caller's speech during the greeting and cleared its audio", sent)
    check(any(e.get("call_id") == wa for e in run.bridge.events("barge_in")),
          "wabridge logged the barge-in")
    leaked = [e for e in run.oai.events("leaked_after_clear") if e.get("call_id") == agent]
    check(len(leaked) == 1 and leaked[0].get("packets") == leak,
          f"openaisim sent {leak} packets after output_audio_buffer.cleared", leaked)
    leaked_payloads = [base64.b64decode(p) for p in (leaked or [{}])[0].get("payloads") or []]
    greeting, reply = ogg_packets(run.asset("caller.ogg")), ogg_packets(run.asset("reply.ogg"))
    heard = ogg_packets(run.heard_path)
    # Only payloads that occur nowhere else in what the agent says can prove anything.
    at = find_run(greeting, leaked_payloads) if leaked_payloads else -1
    unique = [p for p in leaked_payloads if p not in greeting[:at] and p not in reply and
              greeting.count(p) == 1]
    check(at > 5 and len(unique) >= leak // 2, "the leaked packets are recognisable",
          f"at {at}, {len(unique)} unique")
    check(find_run(heard, greeting[:5]) >= 0, "the caller heard the start of the greeting")
    reached = [p for p in unique if p in heard]
    check(not reached, "none of the packets sent after the clear reached the caller",
          f"{len(reached)} of {len(unique)} did")
    # The bridge fills any pause of the agent's audio over 60 ms with Opus silence frames (a
    # loaded machine stalls the sim's pacer now and then): those are not the agent's.
    speech = [p for p in heard if p != OPUS_SILENCE]
    check(find_run(speech, [p for p in reply[10:-10] if p != OPUS_SILENCE]) >= 0,
          "the caller heard the reply to the interruption "
          "(agent audio flows again after output_audio_buffer.started)")


# --- 7. business-initiated (outbound) calls ------------------------------------------------------
# wabridge places the call (POST /calls → Graph connect); metasim --outbound plays the callee:
# RINGING, then after --ring-time the answer (connect webhook) and ACCEPTED, or REJECTED.

BUSINESS_NUMBER = "106540352242922"  # metasim's default phone number id
CALLEE = "15557654321"
RING_TIME = "3s"
ADMIN_TOKEN = "agent-admin-token"


def place(run, **extra):
    """POST /calls for CALLEE; checks 200 with the call id metasim minted; returns it."""
    body = json.dumps({"to": CALLEE, "phone_number_id": BUSINESS_NUMBER, **extra})
    status, answer = run.place_call(body, ADMIN_TOKEN)
    wa = answer.get("call_id") if isinstance(answer, dict) else None
    minted = [e.get("call_id") for e in run.meta.events("call_placed")]
    check(status == 200 and wa is not None and minted == [wa],
          "POST /calls: 200 with the call id metasim minted", (status, answer, minted))
    return wa


def the_agent(run, wa):
    """The one agent call of an outbound scenario. wabridge opens it before Graph has named the
    WhatsApp call, so its agent_call_created may carry an empty call_id: openaisim's only call
    is the one (and if wabridge did name it, the names must agree)."""
    calls = [e.get("call_id") for e in run.oai_calls()]
    named = run.agent_of(wa)
    check(len(calls) == 1 and named in (None, calls[0]), "one agent call was created",
          (calls, named))
    return calls[0] if calls else None


def meta_status_at(run, wa, status):
    """When metasim sent that status webhook (None if it did not)."""
    at = [ts(e) for e in run.meta.events("status_sent")
          if e.get("call_id") == wa and e.get("status") == status]
    return at[0] if at else None


def agent_created_at(run, agent):
    at = [ts(e) for e in run.oai_calls() if e.get("call_id") == agent]
    return at[0] if at else None


def response_creates_at(run, agent):
    return [ts(e) for e in read_json_lines(run.events_path) if e.get("call_id") == agent and
            (e.get("event") or {}).get("type") == "response.create"]


def graph_after_connect(run, wa):
    """Graph requests wabridge made on the call after its connect (metasim's graph_action)."""
    return [e.get("action") for e in run.meta.events("graph_action")
            if e.get("call_id") == wa and e.get("action") != "connect"]


def admin_refusals(run):
    """The admin endpoint refuses a missing or wrong token and a body that is not its JSON."""
    good = json.dumps({"to": CALLEE, "phone_number_id": BUSINESS_NUMBER})
    cases = [("without a token", good, None, 401),
             ("with a wrong token", good, "not-the-admin-token", 401),
             ("with bad JSON", '{"to": ', ADMIN_TOKEN, 400),
             ("without phone_number_id", '{"to": "1555"}', ADMIN_TOKEN, 400)]
    for what, body, token, want in cases:
        status, answer = run.place_call(body, token)
        check(status == want, f"POST /calls {what}: {want}", (status, answer))
    check(not run.meta.events("call_placed"), "no refused request reached Graph")


def outbound(run):
    run.start(env={"ADMIN_TOKEN": ADMIN_TOKEN})
    # ACCEPTED 1.5 s after the answer: the media is up by then, so only a bridge that waits for
    # ACCEPTED (not for its media) greets after it.
    run.start_metasim("--outbound", "--ring-time", RING_TIME, "--accepted-after", "1500ms",
                      "--caller-audio",
                      run.asset("caller.ogg"), "--caller-audio-at", SPEAK_AT,
                      "--hangup-after", "11s")
    admin_refusals(run)
    wa = place(run, biz_opaque_callback_data="order-42")
    results = completed(run, run.metasim_results(), 1)
    run.finish()
    r = (results or [{}])[0]
    agent = the_agent(run, wa)
    created, accepted = agent_created_at(run, agent), meta_status_at(run, wa, "ACCEPTED")
    ringing = meta_status_at(run, wa, "RINGING")
    check(None not in (created, accepted, ringing) and created < accepted,
          "the agent's session was created while the phone rang (before ACCEPTED)",
          (created, ringing, accepted))
    up = [ts(e) for e in run.meta.events("peer_state")
          if e.get("call_id") == wa and e.get("state") == "connected"]
    check(bool(up) and accepted is not None and up[0] < accepted,
          "the callee's media was up before ACCEPTED", (up[:1], accepted))
    creates = response_creates_at(run, agent)
    check(bool(creates) and accepted is not None and creates[0] >= accepted,
          "the greeting response.create came only after ACCEPTED", (accepted, creates[:1]))
    if created and accepted and creates:
        log(f"  agent created at {created - accepted:+.2f} s, greeting at "
            f"{creates[0] - accepted:+.2f} s from ACCEPTED")
    statuses = [e.get("status") for e in run.bridge.events("call_status")
                if e.get("call_id") == wa]
    check("ACCEPTED" in statuses, "wabridge logged the ACCEPTED status", statuses)
    check(r.get("recorded_packets", 0) > 0, "the callee heard the agent (metasim recording)",
          r.get("recorded_packets"))
    heard_by_agent = (ogg_packets(run.agent_heard_path)
                      if os.path.exists(run.agent_heard_path) else [])
    check(len(heard_by_agent) > 0, "the agent heard the callee (openaisim recording)",
          len(heard_by_agent))
    caller = ogg_packets(run.asset("caller.ogg"))
    check(find_run(heard_by_agent, caller[10:-10]) >= 0, "the callee's words reached the agent")
    graph = r.get("graph_actions") or []
    check("accept" not in graph and "pre_accept" not in graph,
          "no Graph accept or pre_accept for a call the business placed", graph)
    check(r.get("cause") == "caller_hangup", "metasim's callee hung up", r.get("cause"))
    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["caller_hung_up"],
          "wabridge call_ended cause caller_hung_up", [e.get("cause") for e in ended])
    hangups = [e for e in run.oai.events("hangup_request") if e.get("call_id") == agent]
    check(len(hangups) == 1, "wabridge hung up the agent (OpenAI hangup)", len(hangups))
    check(not graph_after_connect(run, wa), "no Graph action on the call after its connect",
          graph_after_connect(run, wa))


def outbound_rejected(run):
    run.start(env={"ADMIN_TOKEN": ADMIN_TOKEN})
    # A long linger: a wrong Graph action after the refusal would still be answered and logged.
    run.start_metasim("--outbound-reject", "--ring-time", RING_TIME, linger="3s")
    wa = place(run)
    results = run.metasim_results()
    r = (results or [{}])[0]
    check(len(results) == 1 and r.get("outcome") == "rejected" and r.get("call_id") == wa,
          "metasim: the callee declined the call", [(x.get("outcome"), x.get("cause"))
                                                    for x in results])
    run.finish()
    agent = the_agent(run, wa)
    created, rejected = agent_created_at(run, agent), meta_status_at(run, wa, "REJECTED")
    check(None not in (created, rejected) and created < rejected,
          "the agent was prepared while it rang (before REJECTED)", (created, rejected))
    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["callee_rejected"],
          "wabridge call_ended cause callee_rejected", [e.get("cause") for e in ended])
    hangups = [e for e in run.oai.events("hangup_request") if e.get("call_id") == agent]
    check(len(hangups) == 1, "wabridge hung up the agent (OpenAI hangup)", len(hangups))
    check(not response_creates_at(run, agent), "the agent never greeted (no response.create)")
    check(not graph_after_connect(run, wa), "no Graph action on the call after its connect",
          graph_after_connect(run, wa))


# --- 8. GPT-Live ----------------------------------------------------------------------------------
# A number whose profile says provider = "gpt-live": POST /v1/live/sessions (JSON with the session
# and the offer), session.started, transcripts as deltas, hang-up under /live/sessions.

LIVE_NUMBER = "333333333333333"
LIVE_PROFILE = {"provider": "gpt-live", "model": "gpt-live-1.1", "voice": "cedar",
                "instructions": "You answer for Luigi's, on GPT-Live.",
                "greeting": "Say: Luigi's, good evening!",
                "dtmf_message": "The caller pressed {digit}."}
GREETING_TRANSCRIPT = "Good evening, Luigi's, how can I help?"


def transcripts_of(run, wa):
    return [(e.get("speaker"), e.get("text")) for e in run.bridge.events("transcript")
            if e.get("call_id") == wa]


def gpt_live(run):
    toml = ('[agent]\ninstructions = "The default agent."\n'
            f'\n[numbers."{LIVE_NUMBER}"]\n' +
            "".join(f"{k} = {json.dumps(v)}\n" for k, v in LIVE_PROFILE.items()))
    run.start(toml, oai_flags=["--greeting-transcript", GREETING_TRANSCRIPT])
    # The whole reply (4.8 s from about 9.8 s) plays before the caller hangs up; a digit is
    # pressed during the greeting.
    results = completed(run, run.call("--phone-number-id", LIVE_NUMBER,
                                      "--caller-audio", run.asset("caller.ogg"),
                                      "--caller-audio-at", SPEAK_AT, "--dtmf", "5",
                                      "--dtmf-at", "2s", "--hangup-after", "16s"), 1)
    run.finish()
    r = (results or [{}])[0]
    wa = r.get("call_id")
    check("accept" in (r.get("graph_actions") or []), "the call was answered (Graph accept)",
          r.get("graph_actions"))
    reqs = run.oai.events("call_request")
    check([(e.get("api"), e.get("path"), e.get("key_header")) for e in reqs] ==
          [("live", "/v1/live/sessions", "authorization")],
          "one request, to POST /v1/live/sessions with the API key as Bearer (openaisim takes "
          "only that key)", [(e.get("api"), e.get("path"), e.get("key_header")) for e in reqs])
    sess = (reqs or [{}])[0].get("session") or {}
    check(sess.get("model") == LIVE_PROFILE["model"] and
          sess.get("instructions") == LIVE_PROFILE["instructions"] and
          voice_of(sess) == LIVE_PROFILE["voice"],
          "the session carries the profile's model, instructions and voice",
          (sess.get("model"), sess.get("instructions"), voice_of(sess)))
    check(not set(sess) - {"model", "instructions", "audio", "delegation", "input", "client",
                           "store"}, "and only GPT-Live session fields", sorted(sess))
    agent = run.agent_of(wa)
    check([e.get("call_id") for e in run.oai_calls()] == [agent] and
          str(agent).startswith("sess_live_"), "wabridge took the session id from the answer",
          (agent, [e.get("call_id") for e in run.oai_calls()]))
    check(any(e.get("call_id") == wa for e in run.bridge.events("agent_session_started")),
          "wabridge saw session.started")
    events = run.client_events(agent)
    types = [e.get("type") for e in events]
    check(types and types[0] == "response.create" and types.count("response.create") == 1,
          "the greeting is one response.create, the first client event", types)
    check(not {"session.update", "session.start", "conversation.item.create"} & set(types),
          "no Realtime-only event and no session.start over WebRTC", types)
    errors = [e for e in run.oai.events("event_sent")
              if e.get("call_id") == agent and e.get("type") == "error"]
    check(not errors, "openaisim refused none of wabridge's events", len(errors))
    # The keypad: GPT-Live's spec defines no way to pass a digit (see README); logged only.
    digits = [e.get("digit") for e in run.bridge.events("dtmf") if e.get("call_id") == wa]
    check(digits == ["5"], "wabridge logged the digit once", digits)
    heard_by_agent = ogg_packets(run.agent_heard_path) if os.path.exists(
        run.agent_heard_path) else []
    caller, reply = ogg_packets(run.asset("caller.ogg")), ogg_packets(run.asset("reply.ogg"))
    check(find_run(heard_by_agent, caller[10:-10]) >= 0,
          "the caller's words reached the agent, packet for packet")
    heard = ogg_packets(run.heard_path)
    at = find_run(heard, reply[10:-10])
    check(at >= 0 and find_run(heard[at + len(reply):], reply[10:-10]) >= 0,
          "the caller heard the greeting and the reply, packet for packet", at)
    said = transcripts_of(run, wa)
    check(said == [("agent", GREETING_TRANSCRIPT), ("caller", CALLER_TRANSCRIPT),
                   ("agent", REPLY_TRANSCRIPT)],
          "wabridge logged the greeting, the caller's turn and the reply from the deltas", said)
    check(r.get("cause") == "caller_hangup", "the caller hung up", r.get("cause"))
    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["caller_hung_up"],
          "wabridge call_ended cause caller_hung_up, once", [e.get("cause") for e in ended])
    hangups = [(e.get("path"), e.get("key_header")) for e in run.oai.events("hangup_request")]
    check(hangups == [(f"/v1/live/sessions/{agent}/hangup", "authorization")],
          "the agent leg was hung up at /v1/live/sessions/{id}/hangup", hangups)
    closed = [e.get("cause") for e in run.oai.events("call_closed") if e.get("call_id") == agent]
    check(closed == ["hangup"], "openaisim closed the session on that hang-up", closed)


# --- 9. long calls: the agent session rolls over --------------------------------------------------
# wabridge opens a successor session AGENT_ROLLOVER_SECONDS after the first; openaisim ends
# sessions at --max-session like the service at its 60 minutes, so the switch must come first.
# Timeline from the accept: greeting 0.3-5.1 s, the caller 5.5-9.2 s, the reply 9.8-14.6 s; the
# successor is made at 12 s (during the reply) and takes over when the reply has played out.

ROLLOVER_AFTER_S = 12
SESSION_LIMIT_S = 20
# The caller's stream across the switch: the bridge fills agent silence after 60 ms without agent
# audio, every 20 ms; 200 ms is that plus generous scheduling slack, well inside what a phone's
# jitter buffer conceals (and the switch happens while nobody speaks).
SWITCH_GAP_BOUND_S = 0.2
BOOKING_INSTRUCTIONS = "You take table bookings for Luigi's."


def rollover(run):
    run.start(f"[agent]\ninstructions = {json.dumps(BOOKING_INSTRUCTIONS)}\n",
              env={"AGENT_ROLLOVER_SECONDS": str(ROLLOVER_AFTER_S)},
              oai_flags=["--max-session", f"{SESSION_LIMIT_S}s",
                         "--greeting-transcript", GREETING_TRANSCRIPT])
    watch = ArrivalWatch(run.heard_path)
    try:
        results = completed(run, run.call("--caller-audio", run.asset("caller.ogg"),
                                          "--caller-audio-at", SPEAK_AT,
                                          "--hangup-after", "20s"), 1)
    finally:
        watch.stop()
    run.finish()
    wa = (results or [{}])[0].get("call_id")
    rolled = [e for e in run.bridge.events("agent_rolled_over") if e.get("call_id") == wa]
    check(len(rolled) == 1, "wabridge moved the call to a new agent session once", len(rolled))
    old, new = (rolled or [{}])[0].get("previous_agent_call_id"), (rolled or [{}])[0].get(
        "agent_call_id")
    switch_at = ts((rolled or [{}])[0]) or 0
    created = {e.get("call_id"): ts(e) for e in run.oai_calls()}
    check(list(created) == [old, new] and old != new,
          "openaisim had two sessions: the first, then its successor", (list(created), old, new))

    # When: AGENT_ROLLOVER_SECONDS after the first session, between two turns, before the limit.
    first_at = [ts(e) for e in run.bridge.events("agent_call_created") if e.get("call_id") == wa]
    begun = [ts(e) for e in run.bridge.events("agent_rollover_started") if e.get("call_id") == wa]
    lag = begun[0] - first_at[0] if begun and first_at else None
    check(lag is not None and ROLLOVER_AFTER_S - 0.1 <= lag <= ROLLOVER_AFTER_S + 1,
          f"the successor was begun {ROLLOVER_AFTER_S} s after the first session", lag)
    buffer = [(e.get("type"), ts(e)) for e in run.oai.events("event_sent") if
              e.get("call_id") == old and e.get("type", "").startswith("output_audio_buffer.")]
    starts = [t for k, t in buffer if k == "output_audio_buffer.started"]
    stops = [t for k, t in buffer if k == "output_audio_buffer.stopped"]
    check(len(starts) == 2 and len(stops) == 2 and begun and starts[1] < begun[0] < stops[1],
          "the rollover began while the first session's reply was playing", (buffer, begun))
    check(len(stops) == 2 and stops[1] <= switch_at <= stops[1] + 0.5,
          "the switch waited for the reply to play out (output_audio_buffer.stopped)",
          (stops, switch_at))
    check(not run.oai.events("session_expired") and created.get(old) and
          switch_at < created[old] + SESSION_LIMIT_S - 2,
          f"no session reached openaisim's {SESSION_LIMIT_S} s limit: the switch came first",
          (run.oai.events("session_expired"), created.get(old), switch_at))

    # The old session is hung up at the switch; the new one is told the conversation, no greeting.
    hung = [ts(e) for e in run.oai.events("hangup_request") if e.get("call_id") == old]
    check(len(hung) == 1 and switch_at - 0.1 <= hung[0] <= switch_at + 2,
          "the first session was hung up at the switch", (hung, switch_at))
    closed = [e.get("cause") for e in run.oai.events("call_closed") if e.get("call_id") == old]
    check(closed == ["hangup"], "openaisim closed it on that hang-up", closed)
    want = (BOOKING_INSTRUCTIONS + "\n\nThis phone call is already in progress: do not greet the "
            "caller again, continue the conversation naturally from where it stands. The "
            f"conversation so far:\nYou: {GREETING_TRANSCRIPT}\nCaller: {CALLER_TRANSCRIPT}\n"
            f"You: {REPLY_TRANSCRIPT}")
    new_events = run.client_events(new)
    updates = of_type(new_events, "session.update")
    got = [session_of(u).get("instructions") for u in updates]
    check(got and all(g == want for g in got),
          "the successor's instructions: the profile's, then the conversation so far "
          "(greeting, the caller's turn, the reply)", got[:1])
    check(not of_type(new_events, "response.create"), "the successor did not greet",
          [e.get("type") for e in new_events])
    check(run.oai_report(new).get("packets_received", 0) > 100,
          "the successor hears the caller after the switch",
          run.oai_report(new).get("packets_received"))

    # The caller's stream goes on across the switch: no silence in arrival beyond the bound, and
    # one RTP timeline (Ogg granule = the RTP timestamp, continued: +960 per 20 ms packet).
    window = watch.gaps(switch_at - 1, switch_at + 1)
    worst = window[0] if window else (switch_at, 0, 0)
    n = watch.pages_by(switch_at + 1) - watch.pages_by(switch_at - 1)
    log(f"  caller's stream around the switch: longest pause {worst[1] * 1000:.0f}-"
        f"{worst[2] * 1000:.0f} ms at {worst[0] - switch_at:+.2f} s, {n} packets in 2 s "
        f"(call mean {watch.mean_rate():.1f}/s); whole call: longest pause "
        f"{(watch.gaps() or [(0, 0, 0)])[0][2] * 1000:.0f} ms; polls every "
        f"{watch.max_poll_interval() * 1000:.0f} ms at most")
    check(window and worst[2] <= SWITCH_GAP_BOUND_S,
          f"no pause over {SWITCH_GAP_BOUND_S * 1000:.0f} ms in what the caller received within "
          "1 s of the switch", worst)
    # Against the call's own rate (the sims' pacing is not exact either); 50 a second plus a few
    # bounds it from above.
    rate = watch.mean_rate()
    check(rate > 0 and abs(n - 2 * rate) <= 0.1 * 2 * rate and n <= 2 * 50 + 5,
          "the caller received packets across the switch at the call's usual rate (within 10 %)",
          f"{n} in 2 s, call mean {rate:.1f}/s")
    lo, hi = watch.pages_by(switch_at - 1), watch.pages_by(switch_at + 1)
    steps = {b - a for a, b in zip(watch.granules[lo:hi], watch.granules[lo + 1:hi])}
    check(steps == {960}, "one continuous RTP timeline across the switch (+960 per packet)",
          steps)

    ended = run.bridge_ended(wa)
    check([e.get("cause") for e in ended] == ["caller_hung_up"],
          "one call_ended, caller_hung_up", [e.get("cause") for e in ended])
    hung_new = [e for e in run.oai.events("hangup_request") if e.get("call_id") == new]
    check(len(hung_new) == 1, "the successor was hung up when the call ended", len(hung_new))


ALL = {"profiles": profiles, "dtmf": dtmf, "end_call": end_call, "http_tool": http_tool,
       "tool_errors": tool_errors, "call_data": call_data, "azure": azure, "barge_in": barge_in,
       "outbound": outbound, "outbound_rejected": outbound_rejected, "gpt_live": gpt_live,
       "rollover": rollover}
