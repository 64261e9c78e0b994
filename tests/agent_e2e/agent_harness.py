"""What the agent scenarios need beyond tests/sim_harness (the children, ports, logs and checks
shared with the chaos test): a tool backend, Ogg Opus packets and finding a run of them.
"""

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

