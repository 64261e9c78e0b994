"""What a running wabridge holds, seen from outside: its /metrics gauges and its UDP sockets
(from /proc). A call that ended must give back everything it took; the end-path tests compare
these before and after."""

import os
import re

from e2e_common import http_request

# Gauges that must return to their pre-call value once no call is up. The event-loop ones appear
# only in builds that export them.
BASELINE_GAUGES = ("wabridge_event_loop_fds", "wabridge_event_loop_timers")


def metrics(bridge):
    """{name: value} of the unlabelled samples of GET /metrics (Prometheus text format)."""
    status, _, body = http_request("GET", bridge.url("/metrics"), timeout=3)
    if status != 200:
        raise OSError(f"GET /metrics answered {status}")
    out = {}
    for line in body.decode("utf-8", "replace").splitlines():
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)", line.strip())
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def _udp_inodes(pid):
    """Socket inodes of the UDP tables of `pid`'s network namespace."""
    inodes = set()
    for table in (f"/proc/{pid}/net/udp", f"/proc/{pid}/net/udp6"):
        try:
            with open(table) as f:
                next(f, None)  # header
                for line in f:
                    fields = line.split()
                    if len(fields) > 9:
                        inodes.add(fields[9])
        except OSError:
            pass
    return inodes


def _socket_inodes(pid):
    """Inodes of the sockets process `pid` has open (None when /proc cannot tell)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def tcp_connections(pid, remote_port):
    """How many TCP sockets process `pid` has open to `remote_port` (any address, any state):
    a connection it closed no longer counts, whatever its kernel state. None when /proc cannot
    tell."""
    mine = _socket_inodes(pid)
    if mine is None:
        return None
    count = 0
    for table in (f"/proc/{pid}/net/tcp", f"/proc/{pid}/net/tcp6"):
        try:
            with open(table) as f:
                next(f, None)  # header
                for line in f:
                    fields = line.split()
                    # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    if len(fields) > 9 and int(fields[2].rsplit(":", 1)[1], 16) == remote_port \
                            and fields[9] in mine:
                        count += 1
        except OSError:
            pass
    return count


def udp_sockets(pid):
    """How many UDP sockets process `pid` has open (its fds that are sockets listed in the
    namespace's udp/udp6 tables). None when /proc cannot tell (not Linux, process gone)."""
    try:
        links = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        return None
    udp = _udp_inodes(pid)
    return sum(1 for l in links if l.startswith("socket:[") and l[8:-1] in udp)


def resources(bridge):
    """A comparable picture: UDP sockets and the baseline gauges present in /metrics."""
    picture = {"udp_sockets": udp_sockets(bridge.proc.pid)}
    try:
        values = metrics(bridge)
    except OSError:
        values = {}
    for name in BASELINE_GAUGES:
        if name in values:
            picture[name] = values[name]
    return picture
