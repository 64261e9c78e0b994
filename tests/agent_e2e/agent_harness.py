"""What the agent scenarios need beyond tests/sim_harness (the children, ports, logs and checks
shared with the chaos test): a tool backend, Ogg Opus packets and finding a run of them, and a
watch on when the caller's packets arrive.
"""

import os
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ogg import opus_packets


def ogg_packets(path):
    """The audio packets of an Ogg Opus file, as bytes; a missing OpusTags header is let pass."""
    return opus_packets(path, tags_required=False)


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



class ArrivalWatch:
    """When the caller's packets arrive, seen from outside metasim: its --record file is written
    one Ogg page per RTP packet as it arrives (Pion's oggwriter, unbuffered), so polling the file
    every few milliseconds times each packet's arrival. Keeps (monotonic time, pages so far) per
    poll and each page's granule position (the RTP timestamp, continued)."""

    def __init__(self, path, period=0.005):
        self.path, self.period = path, period
        self.polls = []       # (time.monotonic(), time.time(), pages so far)
        self.granules = []    # granule position of each page, in order
        self._pos, self._inode = 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read_pages(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return
        if st.st_ino != self._inode or st.st_size < self._pos:  # created anew by the recorder
            self._inode, self._pos, self.granules = st.st_ino, 0, []
        with open(self.path, "rb") as f:
            f.seek(self._pos)
            data = f.read()
        at = 0
        while at + 27 <= len(data) and data[at:at + 4] == b"OggS":
            segments = data[at + 26]
            if at + 27 + segments > len(data):
                break
            size = 27 + segments + sum(data[at + 27:at + 27 + segments])
            if at + size > len(data):
                break  # the rest of this page is still being written
            self.granules.append(struct.unpack_from("<q", data, at + 6)[0])
            at += size
        self._pos += at

    def _run(self):
        while not self._stop.is_set():
            self._read_pages()
            self.polls.append((time.monotonic(), time.time(), len(self.granules)))
            time.sleep(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def gaps(self, since=None, until=None):
        """Silences in arrival between two polls in the window (wall clock, seconds since the
        epoch): [(start, length, bound)] where length is at least the time no packet arrived
        (from the first to the last poll that saw the same count) and bound at most it (from the
        poll before to the poll after), longest first."""
        out, polls = [], self.polls
        i = 1
        while i < len(polls):
            j = i
            while j + 1 < len(polls) and polls[j + 1][2] == polls[i][2]:
                j += 1
            inside = ((since is None or polls[j][1] >= since) and
                      (until is None or polls[i][1] <= until))
            if inside and polls[i][2] > 0 and j + 1 < len(polls):
                out.append((polls[i][1], polls[j][0] - polls[i][0],
                            polls[j + 1][0] - polls[i - 1][0]))
            i = j + 1
        return sorted(out, key=lambda g: -g[2])

    def pages_by(self, when):
        """How many pages had arrived by this wall-clock time (seconds since the epoch)."""
        n = 0
        for _, wall, count in self.polls:
            if wall > when:
                break
            n = count
        return n

    def mean_rate(self):
        """Packets per second from the first arrival to the last."""
        seen = [(mono, count) for mono, _, count in self.polls if count > 0]
        if len(seen) < 2:
            return 0
        last = next(i for i, (_, count) in enumerate(seen) if count == seen[-1][1])
        span = seen[last][0] - seen[0][0]
        return (seen[last][1] - seen[0][1]) / span if span > 0 else 0

    def max_poll_interval(self):
        return max((b[0] - a[0] for a, b in zip(self.polls, self.polls[1:])), default=0)
