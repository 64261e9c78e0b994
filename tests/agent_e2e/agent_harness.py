"""What every agent scenario needs: the simulators and wabridge as child processes with their
JSON-lines logs, free ports, a tool backend, Ogg Opus reading and the checks' bookkeeping.

Stdlib only, in the style of tests/chaos/test_chaos.py.
"""

import ctypes
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAILURES = []


def log(msg):
    print(msg, flush=True)


def check(ok, what, detail=""):
    log(f"{'PASS' if ok else 'FAIL'}: {what}{(' - ' + str(detail)) if detail and not ok else ''}")
    if not ok:
        FAILURES.append(f"{what}: {detail}" if detail else what)
    return ok


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def media_range(size=100):
    """A UDP port range on loopback that no socket uses right now."""
    for _ in range(50):
        low = random.randrange(20000, 60000 - size, 100)
        probes = []
        try:
            for port in range(low, low + size, 7):
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(u)
                u.bind(("127.0.0.1", port))
            return low, low + size - 1
        except OSError:
            continue
        finally:
            for u in probes:
                u.close()
    raise SystemExit("no free media port range")


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, str(e)


def wait_until(pred, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def read_json_lines(path):
    out = []
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            try:
                v = json.loads(line)
            except ValueError:
                continue
            if isinstance(v, dict):
                out.append(v)
    return out


def ts(event):
    """Seconds since the epoch of a log line's ts (the sims and wabridge write UTC, ms)."""
    try:
        return datetime.fromisoformat(event.get("ts", "").replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _die_with_parent():
    try:  # SIGTERM to the child if this process dies (even by SIGKILL from ctest's timeout)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Child:
    """A process with its stdout (JSON lines) and stderr in files of the log directory."""

    def __init__(self, label, argv, log_dir, env=None):
        self.label = label
        self.out_path = os.path.join(log_dir, f"{label}.log")
        self.err_path = os.path.join(log_dir, f"{label}.stderr")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=open(self.out_path, "wb"),
                                     stderr=open(self.err_path, "wb"), env=env,
                                     start_new_session=True, preexec_fn=_die_with_parent)

    def events(self, name=None):
        ev = read_json_lines(self.out_path)
        return ev if name is None else [e for e in ev if e.get("event") == name]

    def stderr_tail(self, n=15):
        try:
            return open(self.err_path, errors="replace").read().splitlines()[-n:]
        except OSError:
            return []

    def stop(self, grace=5):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def ogg_packets(path):
    """The packets of an Ogg Opus file after OpusHead and OpusTags (pages reassembled by their
    lacing values), as bytes."""
    data = open(path, "rb").read()
    packets, partial, pos = [], b"", 0
    while pos + 27 <= len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError(f"{path}: no Ogg page at byte {pos}")
        nseg = data[pos + 26]
        lacing = data[pos + 27:pos + 27 + nseg]
        body = pos + 27 + nseg
        for lace in lacing:
            partial += data[body:body + lace]
            body += lace
            if lace < 255:
                packets.append(partial)
                partial = b""
        pos = body
    if len(packets) < 2 or not packets[0].startswith(b"OpusHead"):
        raise ValueError(f"{path}: not Ogg Opus")
    return packets[2:] if packets[1].startswith(b"OpusTags") else packets[1:]


def find_run(haystack, needle):
    """Index where needle occurs as a contiguous run in haystack, or -1."""
    n = len(needle)
    for i in range(len(haystack) - n + 1):
        if haystack[i:i + n] == needle:
            return i
    return -1


class ToolBackend:
    """A tiny HTTP backend for the agent's tools: records every request; /ok answers a JSON body,
    /fail answers 500, /slow answers after `slow_seconds`."""

    OK_BODY = '{"available": ["19:00", "20:30"], "party": 2}'

    def __init__(self, slow_seconds=3.0):
        self.requests = []
        self.lock = threading.Lock()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                with backend.lock:
                    backend.requests.append({"path": self.path, "headers": dict(self.headers),
                                             "body": body, "at": time.time()})
                if self.path == "/fail":
                    self._answer(500, '{"oops": "backend down"}')
                elif self.path == "/slow":
                    time.sleep(slow_seconds)
                    self._answer(200, '{"late": true}')
                else:
                    self._answer(200, backend.OK_BODY)

            def _answer(self, status, body):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body.encode())
                except OSError:
                    pass  # the bridge gave up waiting (the timeout case)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

