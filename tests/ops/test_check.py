#!/usr/bin/python3
"""`wabridge check` against the binary, one class of misconfiguration per case: a local Graph API
and OpenAI stand-in (HTTP on loopback: the good token and key are accepted, others refused the way
the real services refuse them) and a local STUN responder. Each case checks the exit status, that
the expected setting is reported at the expected level, that text and --json report the same
findings one line each, and that no secret value is ever printed.

    test_check.py --wabridge PATH
"""

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim_harness"))
from checks import check, verdict  # noqa: E402
from simprocs import free_ports, media_range  # noqa: E402

TOKEN, SECRET, VERIFY, KEY = "EAAgoodtoken123", "app-secret-456", "verify-789", "sk-good-key-000"
REDIS_PASSWORD = "redis-pw-check-321"
SECRETS = (TOKEN, SECRET, VERIFY, KEY, "EAAbadtoken", "sk-bad-key", "ek_test_secret", REDIS_PASSWORD,
           "redis-pw-wrong-654")


class Services:
    """Graph `GET /v24.0/me` and OpenAI `GET /v1/models` as the real ones answer them."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                auth = self.headers.get("Authorization", "")
                if self.path == "/v24.0/me":
                    if auth == f"Bearer {TOKEN}":
                        self._answer(200, {"id": "1", "name": "Business"})
                    else:  # Graph: an invalid token is HTTP 400, OAuthException code 190
                        self._answer(400, {"error": {"message": "Invalid OAuth access token.",
                                                     "type": "OAuthException", "code": 190}})
                elif self.path == "/v1/models":
                    if auth == f"Bearer {KEY}":
                        self._answer(200, {"object": "list", "data": []})
                    else:
                        self._answer(401, {"error": {"code": "invalid_api_key"}})
                else:
                    self._answer(404, {})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                if self.path != "/v1/realtime/client_secrets":
                    self._answer(404, {})
                elif self.headers.get("Authorization", "") != f"Bearer {KEY}":
                    self._answer(401, {"error": {"code": "invalid_api_key"}})
                elif body.get("session", {}).get("audio", {}).get("output", {}).get(
                        "voice") == "nosuchvoice":
                    self._answer(400, {"error": {
                        "message": "Invalid value: 'nosuchvoice'. Supported values are: 'alloy'.",
                        "type": "invalid_request_error", "code": "invalid_value",
                        "param": "session.audio.output.voice"}})
                else:
                    self._answer(200, {"value": "ek_test_secret", "expires_at": 1})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class StunResponder:
    """Answers every binding request with the sender's address as XOR-MAPPED-ADDRESS (RFC 5389)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, (ip, port) = self.sock.recvfrom(1500)
            except OSError:
                return
            if len(data) < 20 or data[0:2] != b"\x00\x01":
                continue
            cookie, tid = data[4:8], data[8:20]
            xport = port ^ 0x2112
            xip = bytes(a ^ b for a, b in zip(socket.inet_aton(ip), cookie))
            attr = struct.pack("!HHBBH", 0x0020, 8, 0, 1, xport) + xip
            self.sock.sendto(struct.pack("!HH", 0x0101, len(attr)) + cookie + tid + attr,
                             (ip, port))


def run(wabridge, env, *flags):
    """Runs `wabridge check` twice (text and --json); returns (status, findings from --json,
    text lines, everything printed)."""
    text = subprocess.run([wabridge, "check", "--timeout-ms", "1500", *flags], env=env,
                          capture_output=True, text=True, timeout=60)
    js = subprocess.run([wabridge, "check", "--json", "--timeout-ms", "1500", *flags], env=env,
                        capture_output=True, text=True, timeout=60)
    findings = []
    for line in js.stdout.splitlines():
        try:
            findings.append(json.loads(line))
        except ValueError:
            findings.append({"unparsable": line})
    printed = text.stdout + text.stderr + js.stdout + js.stderr
    check(text.returncode == js.returncode, "text and --json exit alike",
          (text.returncode, js.returncode))
    check(len(text.stdout.splitlines()) == len(findings), "one text line per JSON finding",
          (len(text.stdout.splitlines()), len(findings)))
    return js.returncode, findings, text.stdout.splitlines(), printed


def has(findings, setting, level):
    return any(f.get("setting") == setting and f.get("level") == level for f in findings)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wabridge", required=True)
    a = p.parse_args()
    services, stun = Services(), StunResponder()
    http_port, = free_ports(1)
    low, high = media_range(20)
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PORT": str(http_port), "HTTP_HOST": "127.0.0.1", "MEDIA_PUBLIC_IP": "127.0.0.1",
        "MEDIA_PORT_MIN": str(low), "MEDIA_PORT_MAX": str(high),
        "WHATSAPP_ACCESS_TOKEN": TOKEN, "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY, "OPENAI_API_KEY": KEY,
        "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{services.port}/v24.0",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{services.port}/v1",
        "STUN_SERVER": f"127.0.0.1:{stun.port}",
    }
    for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):  # the sanitizer build's
        if name in os.environ:
            base[name] = os.environ[name]
    everything = []

    def case(name, changes=(), flags=(), expect_status=None, expect=()):
        env = dict(base)
        for k, v in dict(changes).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        status, findings, lines, printed = run(a.wabridge, env, *flags)
        everything.append(printed)
        check(all("unparsable" not in f and {"level", "setting", "message"} <= set(f)
                  for f in findings), f"{name}: every --json line is a finding object")
        check(all(f["level"] == "ok" or f.get("fix") for f in findings if "level" in f),
              f"{name}: every warning and error says how to fix it")
        check(not any(m in printed for m in ("Sanitizer", "runtime error:")),
              f"{name}: no sanitizer report", printed[-600:])
        if expect_status is not None:
            check(status == expect_status, f"{name}: exit status {expect_status}",
                  f"{status}: {lines}")
        for setting, level in expect:
            check(has(findings, setting, level), f"{name}: {level} for {setting}", lines)
        return findings

    findings = case("all good", expect_status=0,
                    expect=[("WHATSAPP_GRAPH_URL", "ok"), ("OPENAI_BASE_URL", "ok"),
                            ("PORT", "ok"), ("MEDIA_PORT_MIN/MEDIA_PORT_MAX", "ok"),
                            ("MEDIA_PUBLIC_IP", "ok"), ("STUN_SERVER", "ok")])
    check(not any(f["level"] == "error" for f in findings), "all good: no error line")

    case("missing credentials", expect_status=1,
         changes={"WHATSAPP_ACCESS_TOKEN": None, "WHATSAPP_APP_SECRET": None,
                  "WHATSAPP_VERIFY_TOKEN": None, "OPENAI_API_KEY": None},
         expect=[(n, "error") for n in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET",
                                        "WHATSAPP_VERIFY_TOKEN", "OPENAI_API_KEY")] +
         [("PORT", "ok"), ("WHATSAPP_GRAPH_URL", "ok")])

    case("refused credentials", expect_status=1,
         changes={"WHATSAPP_ACCESS_TOKEN": "EAAbadtoken", "OPENAI_API_KEY": "sk-bad-key"},
         expect=[("WHATSAPP_ACCESS_TOKEN", "error"), ("OPENAI_API_KEY", "error")])

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        case("HTTP port in use", changes={"PORT": str(busy.getsockname()[1])}, expect_status=1,
             expect=[("PORT", "error")])

    taken = []
    try:
        for port in range(low, high + 1):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("0.0.0.0", port))
            taken.append(u)
        case("UDP range taken", expect_status=1,
             expect=[("MEDIA_PORT_MIN/MEDIA_PORT_MAX", "error")])
    finally:
        for u in taken:
            u.close()

    case("inverted UDP range", changes={"MEDIA_PORT_MIN": "50000", "MEDIA_PORT_MAX": "40000"},
         expect_status=1, expect=[("MEDIA_PORT_MIN/MEDIA_PORT_MAX", "error")])

    case("public IP elsewhere (NAT)", changes={"MEDIA_PUBLIC_IP": "203.0.113.9"},
         expect_status=0, expect=[("MEDIA_PUBLIC_IP", "warning"), ("STUN_SERVER", "warning")])

    dead, = free_ports(1)
    case("endpoints unreachable", expect_status=1,
         changes={"WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{dead}/v24.0",
                  "OPENAI_BASE_URL": f"http://127.0.0.1:{dead}/v1"},
         expect=[("WHATSAPP_GRAPH_URL", "error"), ("OPENAI_BASE_URL", "error")])

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    case("STUN server silent", changes={"STUN_SERVER": f"127.0.0.1:{silent.getsockname()[1]}"},
         expect_status=1, expect=[("STUN_SERVER", "error")])
    silent.close()

    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.toml")
        with open(bad, "w") as f:
            f.write('port = 3000\nopenai_voice = "marin"\nno_such_setting = 1\n')
        case("unknown TOML key", flags=("--config", bad), expect_status=1,
             expect=[("--config", "error")])
        with open(bad, "w") as f:
            f.write('[agent]\nvoice = "marin"\n[numbers."123"]\nprovider = "azure"\n')
        case("profile needs Azure", flags=("--config", bad), expect_status=1,
             expect=[('[numbers."123"]', "error")])
        with open(bad, "w") as f:
            f.write('[agent]\ntools = [{ name = "x y", url = "ftp://a" }]\n')
        case("bad tool in a profile", flags=("--config", bad), expect_status=1,
             expect=[("--config", "error")])

    case("ephemeral auth works", changes={"OPENAI_AUTH": "ephemeral"}, expect_status=0,
         expect=[("OPENAI_AUTH", "ok")])
    findings = case("ephemeral auth with a voice OpenAI refuses",
                    changes={"OPENAI_AUTH": "ephemeral", "OPENAI_VOICE": "nosuchvoice"},
                    expect_status=1, expect=[("OPENAI_AUTH", "error")])
    check(any("nosuchvoice" in f.get("message", "") for f in findings
              if f.get("setting") == "OPENAI_AUTH"), "the refusal carries OpenAI's reason")

    case("unsigned webhooks", changes={"WHATSAPP_APP_SECRET": None,
                                       "WHATSAPP_INSECURE_SKIP_SIGNATURE": "1"},
         expect_status=0, expect=[("WHATSAPP_INSECURE_SKIP_SIGNATURE", "warning")])

    dead, = free_ports(1)
    case("Redis unreachable", changes={"REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{dead}/0"},
         expect_status=1, expect=[("REDIS_URL", "error")])
    redis_bin = shutil.which("redis-server")
    if redis_bin:
        port, = free_ports(1)
        redis = subprocess.Popen([redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--requirepass", REDIS_PASSWORD], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            case("Redis answers", changes={"REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/1"},
                 expect_status=0, expect=[("REDIS_URL", "ok")])
            case("Redis refuses the password",
                 changes={"REDIS_URL": f"redis://:redis-pw-wrong-654@127.0.0.1:{port}"},
                 expect_status=1, expect=[("REDIS_URL", "error")])
        finally:
            redis.kill()
            redis.wait()

    printed = "".join(everything)
    leaked = [s for s in SECRETS if s in printed]
    check(not leaked, "no secret value is ever printed", leaked)
    return verdict("ops_check", "the failed case's lines are above")


if __name__ == "__main__":
    sys.exit(main())
