"""The processes of an e2e test: wabridge and the Pion peers, their output collected."""

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

from e2e_common import (STDERR_TAIL_LINES, E2EFailure, _die_with_parent, http_request,
                        wait_until)


class Process:
    """A child with stdout lines collected (JSON parsed where possible) and a stderr tail."""

    def __init__(self, label, argv, env=None, stdout_file=None, stderr_file=None, stdin=True,
                 echo=False):
        self.label = label
        self.echo = echo  # copy every output line to our stderr as it comes
        self.argv = argv
        self.lines = []  # raw stdout lines
        self.json = []  # parsed stdout JSON objects
        self.stderr_lines = []
        self.lock = threading.Lock()
        self.stdout_file = stdout_file
        self.stderr_file = stderr_file
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            # PR_SET_PDEATHSIG fires when the spawning *thread* ends: only the main thread
            # lives long enough. Peers started in a request thread exit at stdin EOF instead.
            preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
        )
        self.readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read_stdout(self):
        sink = open(self.stdout_file, "ab") if self.stdout_file else None
        for raw in self.proc.stdout:
            if sink:
                sink.write(raw)
                sink.flush()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if self.echo:
                print(f"[{self.label}] {line}", file=sys.stderr, flush=True)
            parsed = None
            try:
                parsed = json.loads(line)
            except ValueError:
                pass
            with self.lock:
                self.lines.append(line)
                if isinstance(parsed, dict):
                    parsed["_t"] = time.monotonic()  # when it was read
                    self.json.append(parsed)
        if sink:
            sink.close()

    def _read_stderr(self):
        sink = open(self.stderr_file, "ab") if self.stderr_file else None
        for raw in self.proc.stderr:
            if sink:
                sink.write(raw)
                sink.flush()
            line = raw.decode("utf-8", "replace").rstrip()
            if self.echo:
                print(f"[{self.label} stderr] {line}", file=sys.stderr, flush=True)
            with self.lock:
                self.stderr_lines.append(line)
        if sink:
            sink.close()

    def events(self):
        with self.lock:
            return list(self.json)

    def send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, AttributeError):
            pass

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` seconds; waits for the output readers. Returns
        True when SIGKILL was needed."""
        killed = False
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                killed = True
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait(timeout=5)
        for reader in self.readers:
            reader.join(timeout=2)
        return killed

    def tail(self, stream="stderr", count=STDERR_TAIL_LINES):
        with self.lock:
            lines = self.stderr_lines if stream == "stderr" else self.lines
            return lines[-count:]


class PionPeer(Process):
    """The Pion interop peer with the e2e switches (--rtp-on-command --states always on)."""

    def __init__(self, pion, label, args, log_dir):
        argv = [pion] + args + ["--rtp-on-command", "--states", "--name", label]
        super().__init__(label, argv, stderr_file=os.path.join(log_dir, f"{label}.stderr"))

    def find(self, predicate):
        return [e for e in self.events() if predicate(e)]

    def event(self, name):
        return self.find(lambda e: e.get("type") == "event" and e.get("event") == name)

    def wait_event(self, name, timeout):
        self._check_failure()
        return wait_until(lambda: self._check_failure() or self.event(name), timeout,
                          f"{self.label}: event {name}")[0]

    def _check_failure(self):
        failed = self.event("failed")
        if failed:
            raise E2EFailure(f"{self.label} failed: {failed[0].get('reason')}")
        if not self.alive() and not self.find(lambda e: e.get("type") == "report"):
            raise E2EFailure(f"{self.label} exited with status {self.proc.returncode}")
        return None

    def wait_sdp(self, kind, timeout=15):
        found = wait_until(
            lambda: self._check_failure() or self.find(lambda e: e.get("type") == kind),
            timeout, f"{self.label}: its {kind}")
        return found[0]["sdp"]

    def dc_messages(self):
        """Parsed JSON text messages the peer received on its data channel."""
        out = []
        for e in self.event("dc_message"):
            try:
                out.append(json.loads(e.get("text", "")))
            except ValueError:
                out.append({"type": "__not_json__", "text": e.get("text")})
        return out

    def states(self):
        return [e.get("state") for e in self.event("state")]

    def report(self, timeout=10):
        """Asks for the report (`close`) and returns it."""
        existing = self.find(lambda e: e.get("type") == "report")
        if existing:
            return existing[0]
        self.send({"type": "close"})
        return wait_until(lambda: self.find(lambda e: e.get("type") == "report"), timeout,
                          f"{self.label}: its report")[0]


class Bridge(Process):
    def __init__(self, wabridge, env, log_dir, name, echo=False):
        self.http_port = int(env["PORT"])
        super().__init__(
            "wabridge", shlex.split(wabridge), env=env, stdin=False, echo=echo,
            stdout_file=os.path.join(log_dir, f"{name}.bridge.stdout"),
            stderr_file=os.path.join(log_dir, f"{name}.bridge.stderr"))

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def wait_healthy(self, timeout=15):
        def healthy():
            if not self.alive():
                raise E2EFailure(f"wabridge exited at start with status {self.proc.returncode}")
            try:
                status, _, _ = http_request("GET", self.url("/healthz"), timeout=1)
                return status == 200
            except OSError:
                return False

        wait_until(healthy, timeout, "wabridge /healthz")

    def logs(self, event=None, **fields):
        out = []
        for entry in self.events():
            if event is not None and entry.get("event") != event:
                continue
            if all(entry.get(k) == v for k, v in fields.items()):
                out.append(entry)
        return out

    def wait_log(self, event, timeout, **fields):
        def found():
            entries = self.logs(event, **fields)
            if entries or self.alive():
                return entries
            self.readers[0].join(timeout=2)  # its last lines may still be in the pipe
            entries = self.logs(event, **fields)
            if not entries:
                raise E2EFailure(f"wabridge exited (status {self.proc.returncode}) "
                                 f"while waiting for log event {event}")
            return entries

        return wait_until(found, timeout, f"wabridge log event {event} {fields or ''}")[0]
