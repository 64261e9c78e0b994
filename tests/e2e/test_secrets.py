#!/usr/bin/python3
"""No secret in the bridge's output: runs calls through the paths that tend to leak (ephemeral
keys, OpenAI and Graph errors, bad signatures) at LOG_LEVEL=debug, then searches everything
wabridge printed here and in the other e2e tests (their logs in --log-dir) for the access token,
the app secret, the API key, the minted ek_ key and test_turn_relay's TURN passwords and REST
secret. Also: no secret crosses to the wrong service."""

import glob
import os
import time

import bridge_harness as h
import test_turn_relay as turn

CALL_OK = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBTRUNSRVRTT0swMDAwMDAwMDAwMDAwMAA="
CALL_OPENAI_401 = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBTRUNSRVRTNDAxMDAwMDAwMDAwMDAwMAA="
CALL_GRAPH_400 = "wacid.HBgLMTU1NTE0NDE5MDYVAgARGCBTRUNSRVRTNDAwMDAwMDAwMDAwMDAwMAA="


def wait_quietly(harness, what, predicate, timeout):
    try:
        h.wait_until(predicate, timeout, what)
    except h.E2EFailure as error:
        h.log(f"note: {error} (not what this test checks)")


def scenario(harness):
    bridge = harness.start_bridge(auth="ephemeral")
    started = time.time()
    caller, agent = harness.connected_call(CALL_OK)
    harness.expect(any(r.bearer() == h.EPHEMERAL_KEY for r in harness.openai.snapshot()),
                   "the bridge used the minted ek_ key (so it could have leaked it)")
    harness.run_media(caller, agent, seconds=3)
    harness.hang_up_caller(CALL_OK, started)
    wait_quietly(harness, "the first call to end", lambda: bridge.logs("call_ended"), 10)

    # OpenAI refuses the key: the bridge's error path sees the response and its own request.
    harness.openai.fail_calls = (401, {"error": {"message": "Incorrect API key provided: sk-e2e...",
                                                 "type": "invalid_request_error",
                                                 "code": "invalid_api_key"}})
    harness.place_call(CALL_OPENAI_401)
    wait_quietly(harness, "the refused call to end",
                 lambda: bridge.logs("call_ended", call_id=CALL_OPENAI_401), 20)

    # Graph refuses pre_accept.
    harness.graph.fail_actions["pre_accept"] = (400, {"error": {
        "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
        "fbtrace_id": "AbCdEfG"}})
    harness.graph.fail_actions["accept"] = harness.graph.fail_actions["pre_accept"]
    harness.place_call(CALL_GRAPH_400)
    wait_quietly(harness, "the Graph-refused call to end",
                 lambda: bridge.logs("call_ended", call_id=CALL_GRAPH_400), 20)

    body = h.connect_body(CALL_OK + "bad", "v=0\r\n")
    harness.post_webhook(body, signature=h.sign(body, "wrong-secret"))

    # Cross-service: Graph never sees OpenAI keys, OpenAI never sees Meta's token or secret.
    for service, foreign in ((harness.graph, (h.API_KEY, h.EPHEMERAL_KEY, h.APP_SECRET)),
                             (harness.openai, (h.ACCESS_TOKEN, h.APP_SECRET))):
        sent = b"".join(r.body + repr(r.headers).encode() for r in service.snapshot())
        leaked = [s for s in foreign if s.encode() in sent]
        harness.expect(not leaked, f"no foreign secret sent to the fake {service.name}", str(len(leaked)))


def check_outputs(harness):
    """Searches this run's and the other tests' wabridge output for every secret."""
    if harness.bridge:
        harness.check_bridge_exit()  # stops it: its output files are complete
    # Each e2e test logs into a sibling folder of this one (ctest runs this test last).
    log_dir = os.path.abspath(harness.args.log_dir)
    files = sorted(set(glob.glob(os.path.join(log_dir, "*.bridge.std*"))
                       + glob.glob(os.path.join(os.path.dirname(log_dir), "*", "*.bridge.std*"))))
    harness.expect(files, "wabridge output files to search", harness.args.log_dir)
    # Named by folder and file: every test's folder holds its own test_call.bridge.stderr etc.
    names = [os.path.relpath(f, os.path.dirname(log_dir)) for f in files]
    h.log(f"searching {len(files)} output files: {names}")
    contents = {}
    for name, path in zip(names, files):
        with open(path, "rb") as f:
            contents[name] = f.read()
    # test_turn_relay's TURN password, REST API secret and the expired case's derived password.
    secrets = dict(h.SECRETS, TURN_PASSWORD=turn.TURN_PASSWORD, TURN_REST_SECRET=turn.TURN_REST_SECRET,
                   TURN_REST_PASSWORD=turn.rest_credentials(turn.EXPIRED_AT)[1])
    for name, secret in secrets.items():
        found = [file for file, data in contents.items() if secret.encode() in data]
        harness.expect(not found, f"{name} in no wabridge output", f"found in {found}")

if __name__ == "__main__":
    def run(harness):
        try:
            scenario(harness)
        finally:
            check_outputs(harness)

    h.main(run, __doc__)
