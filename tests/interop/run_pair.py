#!/usr/bin/python3
"""Pairs two WebRTC peers that speak the JSON-lines protocol of docs/INTEROP.md.

Starts the offerer and the answerer, relays the offer and the answer, waits for both `connected`
events, lets media (and data-channel traffic) run, asks both peers to close, collects both reports
and checks the pass criteria. Exit status 0 on pass, 1 on failure or timeout. Children are always
killed (whole process group, so a browser started by a peer goes too).

Standard library only; run it with the system Python.
"""

import argparse
import collections
import ctypes
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time

MIN_VALID_RTP = 95
STDERR_TAIL_LINES = 40


class PairFailure(Exception):
    pass


def _die_with_parent():
    """In the child before exec: get SIGTERM if the runner dies, even by SIGKILL (e.g. when ctest
    gives up on it), so no peer outlives a run. SIGTERM, not SIGKILL, so a peer can still stop
    what it started (the Chromium peer's browser runs in a process group of its own)."""
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Peer:
    """One child process: its stdin, a thread turning stdout lines into events, a stderr tail."""

    def __init__(self, label, command, events, verbose):
        self.label = label
        self.command = command
        self.verbose = verbose
        self.stderr_tail = collections.deque(maxlen=STDERR_TAIL_LINES)
        self.report = None
        self.connected = None
        self.done = False
        self.proc = subprocess.Popen(
            shlex.split(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        threading.Thread(target=self._read_stdout, args=(events,), daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self, events):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self.stderr_tail.append("[non-JSON stdout] " + line[:300])
                continue
            if not isinstance(message, dict):
                continue
            if message.get("type") == "log":
                self.stderr_tail.append("[log] " + str(message.get("message", message))[:300])
                if self.verbose:
                    print(f"[{self.label}] {message}", file=sys.stderr)
                continue
            events.put((self, message))
        events.put((self, {"type": "__eof__"}))

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(line)
            if self.verbose:
                print(f"[{self.label} stderr] {line}", file=sys.stderr)

    def send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the peer is gone; its EOF event reports that

    def signal_group(self, signum):
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def terminate(self):
        """Asks the peer to stop: EOF on stdin and SIGTERM (lets it close what it started)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)

    def kill(self, grace_until):
        """Waits for the peer until `grace_until`, then kills its whole process group."""
        try:
            self.proc.wait(timeout=max(0.0, grace_until - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def print_stderr_tail(self):
        print(f"--- {self.label} ({self.command}) stderr tail ---", file=sys.stderr)
        for line in self.stderr_tail:
            print("  " + line, file=sys.stderr)


class Pair:
    def __init__(self, args):
        self.args = args
        self.events = queue.Queue()
        self.deadline = time.monotonic() + args.timeout
        self.offerer = Peer("offerer", args.offerer, self.events, args.verbose)
        self.answerer = Peer("answerer", args.answerer, self.events, args.verbose)
        self.peers = (self.offerer, self.answerer)

    def next_event(self, until, what):
        """Returns the next (peer, message) before `until`; raises PairFailure on timeout."""
        remaining = min(until, self.deadline) - time.monotonic()
        if remaining <= 0:
            raise PairFailure(f"timeout waiting for {what}")
        try:
            return self.events.get(timeout=remaining)
        except queue.Empty:
            raise PairFailure(f"timeout waiting for {what}") from None

    def handle_common(self, peer, message, expect_exit=False):
        """Bookkeeping every phase shares. Returns True when the message was consumed."""
        kind = message.get("type")
        if kind == "__eof__":
            if peer.report is None:
                try:  # stdout closes just before the exit: wait for a meaningful status
                    status = peer.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    status = "still running"
                raise PairFailure(f"{peer.label} exited (status {status}) without a report")
            return True
        if kind == "event":
            event = message.get("event")
            if event == "failed":
                raise PairFailure(f"{peer.label} reported failure: {message.get('reason', '?')}")
            if event == "connected":
                peer.connected = message
            elif event == "done":
                peer.done = True
            return True
        if kind == "report":
            peer.report = message
            return True
        return False

    def wait_for_sdp(self, source, sdp_type):
        while True:
            peer, message = self.next_event(self.deadline, f"the {sdp_type} from the {source.label}")
            if peer is source and message.get("type") == sdp_type:
                if not isinstance(message.get("sdp"), str):
                    raise PairFailure(f"{source.label} sent a {sdp_type} without an sdp string")
                return message
            if not self.handle_common(peer, message) and message.get("type") in ("offer", "answer"):
                raise PairFailure(f"{peer.label} sent an unexpected {message.get('type')}")

    def run(self):
        offer = self.wait_for_sdp(self.offerer, "offer")
        self.answerer.send({"type": "offer", "sdp": offer["sdp"]})
        answer = self.wait_for_sdp(self.answerer, "answer")
        self.offerer.send({"type": "answer", "sdp": answer["sdp"]})

        while not (self.offerer.connected and self.answerer.connected):
            peer, message = self.next_event(self.deadline, "both peers to connect")
            self.handle_common(peer, message)
        connected_at = time.monotonic()

        # Media runs until both peers say they are done (optional event) or for media_seconds.
        media_until = connected_at + self.args.media_seconds
        while not (self.offerer.done and self.answerer.done):
            if time.monotonic() >= media_until:
                break
            try:
                peer, message = self.next_event(media_until, "media")
            except PairFailure:
                if time.monotonic() >= self.deadline:
                    raise
                break
            self.handle_common(peer, message)

        for peer in self.peers:
            peer.send({"type": "close"})
        report_until = time.monotonic() + self.args.report_seconds
        while not (self.offerer.report and self.answerer.report):
            peer, message = self.next_event(report_until, "both reports")
            self.handle_common(peer, message)

    def check(self):
        """Returns a list of failed criteria (empty on pass)."""
        problems = []
        for receiver, sender in ((self.answerer, self.offerer), (self.offerer, self.answerer)):
            direction = f"{sender.label} -> {receiver.label}"
            valid = int(receiver.report.get("rtp_valid", 0))
            if valid < MIN_VALID_RTP:
                problems.append(f"{direction}: rtp_valid {valid} < {MIN_VALID_RTP}")
            if self.args.data:
                messages = receiver.report.get("messages") or []
                text_ok = any(not m.get("binary") and m.get("valid") for m in messages)
                binary_ok = any(m.get("binary") and m.get("valid") for m in messages)
                if not text_ok:
                    problems.append(f"{direction}: no valid text message")
                if not binary_ok:
                    problems.append(f"{direction}: no valid binary message")
        return problems

    def check_srtp(self):
        """With --expect-srtp, each peer that names its SRTP profile must name the expected one."""
        problems = []
        want = self.args.expect_srtp
        for peer in self.peers:
            named = str((peer.connected or {}).get("srtp", "")).lower()
            if not named or named == "unknown":
                continue
            got = "gcm" if "gcm" in named else "cm" if "cm" in named else named
            if got != want:
                problems.append(f"{peer.label} negotiated SRTP {named}, expected {want}")
        return problems

    def summary(self):
        for peer in self.peers:
            report = peer.report or {}
            messages = report.get("messages") or []
            described = ", ".join(
                f"{'bin' if m.get('binary') else 'text'} {m.get('size')}B "
                f"{'ok' if m.get('valid') else 'BAD'}"
                for m in messages
            )
            connected = {k: v for k, v in (peer.connected or {}).items() if k not in ("type", "event")}
            known = ("type", "rtp_received", "rtp_valid", "rtp_sent", "messages")
            extra = {k: v for k, v in report.items() if k not in known}
            print(
                f"{peer.label}: received {report.get('rtp_received', '?')} RTP, "
                f"{report.get('rtp_valid', '?')} valid, sent {report.get('rtp_sent', '?')}; "
                f"messages [{described}]; connected {json.dumps(connected)}; "
                f"other {json.dumps(extra)}"
            )

    def kill(self):
        # Reported peers exit by themselves; give them (and a browser they close) a moment.
        for peer in self.peers:
            peer.terminate()
        grace_until = time.monotonic() + 3.0
        for peer in self.peers:
            peer.kill(grace_until)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offerer", required=True, help="command line of the offering peer")
    parser.add_argument("--answerer", required=True, help="command line of the answering peer")
    parser.add_argument("--data", action="store_true", help="require data-channel messages")
    parser.add_argument("--timeout", type=float, default=60, help="overall limit in seconds")
    parser.add_argument(
        "--media-seconds",
        type=float,
        default=6.0,
        help="media time after both are connected when peers send no `done` event",
    )
    parser.add_argument("--report-seconds", type=float, default=10.0, help="wait for reports")
    parser.add_argument(
        "--expect-srtp",
        choices=("gcm", "cm"),
        help="fail unless every peer that reports its SRTP profile negotiated this one",
    )
    parser.add_argument(
        "--expect-failure", action="store_true", help="pass only if the pair does NOT pass"
    )
    parser.add_argument(
        "--expect-failure-reason",
        metavar="TEXT",
        help="with --expect-failure: the failure message must contain TEXT",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="echo peers' stderr")
    return parser.parse_args(argv)


def _terminate(signum, _frame):
    raise PairFailure(f"runner interrupted by signal {signum}")


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    started = time.monotonic()
    pair = None
    failure = None
    try:
        pair = Pair(args)
        pair.run()
        problems = pair.check()
        if args.expect_srtp:
            problems += pair.check_srtp()
        if problems:
            failure = "; ".join(problems)
    except PairFailure as error:
        failure = str(error)
    except OSError as error:
        failure = f"cannot start a peer: {error}"
    finally:
        if pair:
            pair.kill()

    elapsed = time.monotonic() - started
    if pair:
        pair.summary()
    if args.expect_failure:
        if failure and args.expect_failure_reason and args.expect_failure_reason not in failure:
            print(f"FAIL: expected a failure containing {args.expect_failure_reason!r}, got: {failure}")
            return 1
        if failure:
            print(f"PASS (failure expected): {failure} [{elapsed:.1f} s]")
            return 0
        print(f"FAIL: the pair passed but a failure was expected [{elapsed:.1f} s]")
        return 1
    if failure:
        print(f"FAIL: {failure} [{elapsed:.1f} s]")
        if pair:
            for peer in pair.peers:
                peer.print_stderr_tail()
        return 1
    print(f"PASS [{elapsed:.1f} s]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
