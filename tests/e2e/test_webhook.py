#!/usr/bin/python3
"""Webhook verification: the GET handshake (right token -> 200 + challenge, wrong -> 403) and the
POST signature (bad, missing or other-body signature -> 403 and no Graph action; a correctly
signed body in unusual but valid JSON formatting -> 200 and the call proceeds, which shows the
bridge checks the raw bytes and that its silence after the bad posts means something)."""

import json
import time
import urllib.parse

import bridge_harness as h

CALL_ID = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBXRUJIT09LVEVTVDAwMDAwMDAwMDAwMAA="


def handshake(harness, query):
    url = harness.bridge.url("/webhook?" + urllib.parse.urlencode(query))
    status, _, body = h.http_request("GET", url)
    return status, body


def scenario(harness):
    bridge = harness.start_bridge(auth="apikey")
    challenge = "1158201444"
    status, body = handshake(harness, {"hub.mode": "subscribe", "hub.verify_token": h.VERIFY_TOKEN,
                                       "hub.challenge": challenge})
    harness.expect(status == 200 and body.decode().strip() == challenge,
                   "handshake with the right token -> 200 + challenge", f"{status} {body[:80]!r}")
    for name, query in (
        ("wrong token", {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": challenge}),
        ("wrong mode", {"hub.mode": "unsubscribe", "hub.verify_token": h.VERIFY_TOKEN,
                        "hub.challenge": challenge}),
        ("no token", {"hub.mode": "subscribe", "hub.challenge": challenge}),
    ):
        status, body = handshake(harness, query)
        harness.expect(status == 403, f"handshake with {name} -> 403", f"{status} {body[:80]!r}")
        harness.expect(challenge.encode() not in body, f"handshake with {name} does not echo", repr(body[:80]))

    status, _, body = h.http_request("GET", bridge.url("/metrics"))
    harness.expect(status == 200 and body, "GET /metrics -> 200 with a body", f"{status}")

    caller = harness.new_caller(CALL_ID)
    offer = caller.wait_sdp("offer")
    # Each bad post carries a call id of its own: any Graph action for one of them is a failure.
    bad_posts = (
        ("a signature made with another secret", lambda body: h.sign(body, "not-the-app-secret")),
        ("a signature of another body", lambda body: h.sign(body + b" ")),
        ("no signature header", lambda body: ""),
        ("a signature without the sha256= prefix", lambda body: h.sign(body)[len("sha256="):]),
        ("a truncated signature", lambda body: h.sign(body)[:-2]),
        ("a sha1= signature", lambda body: "sha1=" + h.sign(body)[len("sha256="):]),
    )
    bad_ids = []
    for index, (name, signature) in enumerate(bad_posts):
        call_id = f"{CALL_ID[:-1]}{index}="
        bad_ids.append(call_id)
        body = h.connect_body(call_id, offer)
        status, _, reply = harness.post_webhook(body, signature=signature(body))
        harness.expect(status == 403, f"POST with {name} -> 403", f"{status} {reply[:80]!r}")

    # The good call, signed right, in JSON formatting a re-serialiser would change.
    envelope = json.loads(h.connect_body(CALL_ID, offer))
    pretty = json.dumps(envelope, indent=3, ensure_ascii=True).replace('"contacts"', '"contacts" ')
    pretty = pretty.replace('"E2E Caller"', '"E2E Caller \\u00e9\\u00e8"').encode()
    status, _, reply = harness.post_webhook(pretty, signature=h.sign(pretty))
    harness.expect(status == 200, "POST with a right signature over unusual JSON -> 200",
                   f"{status} {reply[:80]!r}")
    try:
        harness.graph_action(CALL_ID, "accept", timeout=20)
        harness.expect(True, "the correctly signed call is accepted")
    except h.E2EFailure as error:
        harness.expect(False, "the correctly signed call is accepted", str(error))
    stray = [(a, b.get("call_id")) for a, b in harness.graph.actions() if b.get("call_id") in bad_ids]
    harness.expect(not stray, "no Graph action for badly signed webhooks", str(stray))
    harness.expect(not [r for r in harness.openai.snapshot()][1:],
                   "one OpenAI call (the signed one's) at most",
                   str([r.describe() for r in harness.openai.snapshot()]))
    harness.hang_up_caller(CALL_ID, time.time())


if __name__ == "__main__":
    h.main(scenario, __doc__)
