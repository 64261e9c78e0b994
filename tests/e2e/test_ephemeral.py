#!/usr/bin/python3
"""OPENAI_AUTH=ephemeral: the bridge mints a client secret with its API key (JSON with a
`session`), then posts the raw SDP offer with the minted ek_ key; the call connects and Opus flows
both ways. OPENAI_MODEL and OPENAI_VOICE reach the session."""

import time

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBFUEhFTUVSQUwxMjM0NTY3OEFCQ0QA"
MODEL = "gpt-realtime-e2e-model"
VOICE = "marin"


def scenario(harness):
    harness.start_bridge(auth="ephemeral", extra_env={"OPENAI_MODEL": MODEL, "OPENAI_VOICE": VOICE})
    started = time.time()
    caller, agent = harness.connected_call(CALL_ID)

    requests = [r for r in harness.openai.snapshot() if not r.path.endswith("/hangup")]
    if len(requests) < 2:
        raise h.E2EFailure(f"OpenAI requests {[r.describe() for r in requests]}: expected two")
    paths = [r.path.split("?")[0] for r in requests]
    harness.expect(paths[:2] == ["/v1/realtime/client_secrets", "/v1/realtime/calls"],
                   "client_secrets precedes the calls POST", str(paths))
    secrets_request, calls_request = requests[0], requests[1]
    harness.expect(secrets_request.bearer() == h.API_KEY, "client_secrets with the API key")
    harness.expect(secrets_request.headers.get("content-type", "").startswith("application/json"),
                   "client_secrets body is application/json",
                   secrets_request.headers.get("content-type", ""))
    session = harness.openai.secret_sessions[0] if harness.openai.secret_sessions else {}
    harness.expect(session.get("type") == "realtime", "client_secrets session type realtime", str(session)[:200])
    harness.expect(session.get("model") == MODEL, "OPENAI_MODEL in the session", str(session.get("model")))
    harness.expect(((session.get("audio") or {}).get("output") or {}).get("voice") == VOICE,
                   "OPENAI_VOICE in the session", str((session.get("audio") or {}).get("output")))
    harness.expect(calls_request.bearer() == h.EPHEMERAL_KEY, "calls POST with the minted ek_ key",
                   "other bearer")
    harness.expect(calls_request.headers.get("content-type", "").split(";")[0] == "application/sdp",
                   "calls POST is raw application/sdp", calls_request.headers.get("content-type", ""))
    harness.expect(harness.openai.offers and harness.openai.offers[0][0] == "sdp",
                   "fake OpenAI got a raw SDP offer", str([o[0] for o in harness.openai.offers]))
    harness.expect(not harness.openai.errors, "fake OpenAI refused nothing", "; ".join(harness.openai.errors))

    harness.run_media(caller, agent)
    harness.hang_up_caller(CALL_ID, started)
    try:
        h.wait_until(harness.openai.hangups, 10, "the OpenAI hangup")
        harness.expect(True, "OpenAI hangup after the caller's terminate")
    except h.E2EFailure as error:
        harness.expect(False, "OpenAI hangup after the caller's terminate", str(error))
    harness.check_media(caller, agent)


if __name__ == "__main__":
    h.main(scenario, __doc__)
