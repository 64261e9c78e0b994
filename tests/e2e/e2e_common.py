"""Shared pieces of the e2e harness: the configured secrets and ids, waiting, signing, HTTP."""

import ctypes
import hashlib
import hmac
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

# Distinctive values so a leak is easy to grep for (test_secrets.py).
ACCESS_TOKEN = "EAAe2eAccessTok3n7QxWvZ91"
APP_SECRET = "e2eAppS3cret5b1c0ffee77aa"
VERIFY_TOKEN = "e2e-verify-token-42"
API_KEY = "sk-e2e-ApiK3y-9f8e7d6c5b4a"
EPHEMERAL_KEY = "ek_e2e_Eph3meralK3y_1a2b3c"
REDIS_PASSWORD = "e2eRedisPassw0rd_7c1d"  # test_cluster's redis-server (REDIS_URL)
ADMIN_TOKEN = "e2eAdminT0ken_4b9e2f81"  # test_cluster's dashboard sign-in
SECRETS = {
    "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
    "WHATSAPP_APP_SECRET": APP_SECRET,
    "OPENAI_API_KEY": API_KEY,
    "ephemeral key": EPHEMERAL_KEY,
    "REDIS_URL password": REDIS_PASSWORD,
    "ADMIN_TOKEN": ADMIN_TOKEN,
}

PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
CALLER_WA_ID = "15551441906"
BUSINESS_NUMBER = "15550783881"
OPENAI_CALL_ID = "rtc_test123"
MIN_VALID_RTP = 95
STDERR_TAIL_LINES = 60


class E2EFailure(Exception):
    pass


def log(text):
    print(f"[e2e {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    """Polls `predicate` until it returns something truthy; raises E2EFailure on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise E2EFailure(f"timeout ({timeout:g} s) waiting for {what}")
        time.sleep(0.05)


def sign(body, secret=APP_SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _die_with_parent():
    try:  # SIGTERM to the child if this process dies (even by SIGKILL from ctest)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def http_request(method, url, body=None, headers=None, timeout=5):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
