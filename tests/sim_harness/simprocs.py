"""The simulators (tools/sim: metasim, openaisim) and wabridge as child processes of a test
script: free ports on loopback, each child's JSON-lines log and stderr in files, waiting for them
to come up and stopping wabridge the way production does (SIGTERM)."""

import ctypes
import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime


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


def http_post(url, body, headers=None, timeout=30):
    """POSTs body (bytes or str); returns (status, response text), (0, error) on a transport error."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
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


def require_executables(*paths):
    for path in paths:
        if not os.access(path, os.X_OK):
            raise SystemExit(f"missing executable {path}")


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


def wabridge_env(port_bridge, port_graph, port_openai, media, secrets, drain_grace):
    """wabridge's environment against the simulators on loopback: this process's environment with
    the ports, the media range (min, max), the credentials (secrets: variable -> value) and the
    sims' URLs."""
    env = dict(os.environ)
    env.update({
        "PORT": str(port_bridge), "HTTP_HOST": "127.0.0.1", "MEDIA_PUBLIC_IP": "127.0.0.1",
        "MEDIA_PORT_MIN": str(media[0]), "MEDIA_PORT_MAX": str(media[1]),
        **secrets,
        "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{port_graph}/v24.0",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{port_openai}/v1",
        "DRAIN_GRACE_SECONDS": str(drain_grace), "LOG_LEVEL": "info",
    })
    return env


def openaisim_up(port, timeout=10):
    """Whether openaisim answers HTTP (any status) on its calls endpoint within timeout."""
    return wait_until(lambda: http_get(f"http://127.0.0.1:{port}/v1/realtime/calls")[0], timeout)


def wait_started(oai, port_openai, bridge, base):
    """Waits for openaisim to answer and for wabridge's /healthz 200; SystemExit with the child's
    stderr when either does not come up."""
    if not openaisim_up(port_openai):
        raise SystemExit("openaisim did not start: " + " | ".join(oai.stderr_tail()))
    up = wait_until(lambda: bridge.proc.poll() is not None or
                    http_get(base + "/healthz")[0] == 200, 30)
    if not up or bridge.proc.poll() is not None:
        raise SystemExit("wabridge did not start: " + " | ".join(bridge.stderr_tail()))


def stop_wabridge(bridge, timeout):
    """SIGTERM and wait up to timeout for wabridge's own exit (then it is killed). Returns (exit
    status or None when it had to be killed, the sanitizer report lines on its stderr)."""
    bridge.proc.send_signal(signal.SIGTERM)
    try:
        rc = bridge.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        rc = None
        bridge.stop(grace=1)
    sanitizer = [line for line in open(bridge.err_path, errors="replace").read().splitlines()
                 if "Sanitizer" in line or "runtime error:" in line]
    return rc, sanitizer
