"""Checks shared by the end-path tests (issue 4: calls that never hang, leak or let anyone in):
how a call ended (Graph actions counted, OpenAI requests, the `call_ended` log line, what the
peers saw) and that the bridge gave back what the call took (/metrics, UDP sockets)."""

import collections
import datetime
import os
import signal
import struct
import sys
import time
import zlib

import probes
from e2e_common import E2EFailure, log, wait_until

# The Ogg Opus reader is shared with tests/agent_e2e.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim_harness"))
from ogg import opus_packets  # noqa: E402,F401

GONE = ("disconnected", "failed", "closed")


def log_time(entry):
    """A wabridge log line's `ts` (ISO 8601 UTC, milliseconds) as seconds since the epoch."""
    stamp = datetime.datetime.strptime(entry["ts"].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


def graph_counts(harness, call_id):
    return collections.Counter(a for a, b in harness.graph.actions() if b.get("call_id") == call_id)


def wait_graph(harness, call_id, action, timeout):
    """Waits for a Graph action without failing the scenario; returns whether it came."""
    try:
        wait_until(lambda: graph_counts(harness, call_id)[action], timeout,
                   f"Graph {action} for {call_id}")
        return True
    except E2EFailure as error:
        harness.expect(False, f"Graph {action}", str(error))
        return False


def check_graph(harness, call_id, want):
    """want: {action: count or tuple of allowed counts}; actions not named must not appear."""
    counts = graph_counts(harness, call_id)
    log(f"Graph actions for the call: {dict(counts)}")
    for action in ("pre_accept", "accept", "reject", "terminate"):
        expected = want.get(action, 0)
        allowed = expected if isinstance(expected, tuple) else (expected,)
        harness.expect(counts[action] in allowed,
                       f"Graph {action} x{'/'.join(map(str, allowed))}", f"got {dict(counts)}")
    return counts


def wait_call_ended(harness, call_id, causes, timeout):
    """The call's `call_ended` line; checks its cause is one of `causes`. Returns it or None."""
    try:
        ended = harness.bridge.wait_log("call_ended", timeout, call_id=call_id)
    except E2EFailure as error:
        harness.expect(False, f"call_ended with cause {'/'.join(causes)}", str(error))
        return None
    harness.expect(ended.get("cause") in causes, f"call_ended cause {'/'.join(causes)}",
                   f"cause {ended.get('cause')!r} in {ended}")
    return ended


def check_openai(harness, client_secrets=None, calls=None, hangup_created=True, timeout=10):
    """OpenAI request counts (None: not checked); every call id the fake created was hung up
    (hangup_created) and nothing else was."""
    openai = harness.openai
    if not openai.stall_calls:  # a 201 still on its way counts too
        try:
            wait_until(lambda: all(r.status is not None for r in openai.snapshot()), timeout,
                       "the fake OpenAI to answer every request")
        except E2EFailure as error:
            log(f"note: {error}")
    created = openai.created_ids()
    log(f"OpenAI requests: {[r.describe() + ' -> ' + str(r.status) for r in openai.snapshot()]}")
    if hangup_created and created:
        try:
            wait_until(lambda: set(created) <= set(openai.hangup_ids()), timeout,
                       f"OpenAI hangup of {created}")
        except E2EFailure as error:
            harness.expect(False, f"OpenAI hangup of every created call {created}", str(error))
    if client_secrets is not None:
        harness.expect(openai.count("client_secrets") == client_secrets,
                       f"OpenAI client_secrets x{client_secrets}", f"got {openai.count('client_secrets')}")
    if calls is not None:
        harness.expect(openai.count("calls") == calls, f"OpenAI calls x{calls}",
                       f"got {openai.count('calls')}")
    ids = openai.hangup_ids()
    if hangup_created:
        harness.expect(sorted(ids) == sorted(created), "OpenAI hangup once per created call",
                       f"created {created}, hung up {ids}")
    else:
        harness.expect(not ids, "no OpenAI hangup", f"hung up {ids}")


def check_no_orphan(harness, timeout=5):
    """Last: every OpenAI call created so far, also one whose 201 came late, is hung up."""
    openai = harness.openai
    try:
        wait_until(lambda: set(openai.created_ids()) <= set(openai.hangup_ids()), timeout,
                   "every created OpenAI call hung up")
        harness.expect(True, "no OpenAI call left open at the end")
    except E2EFailure:
        harness.expect(False, "no OpenAI call left open at the end",
                       f"created {openai.created_ids()}, hung up {openai.hangup_ids()}")


def check_peers_see_end(harness, peers, timeout=15):
    """Each peer that got connected sees its connection end (state or data channel); a peer
    that never connected has nothing to see."""
    for peer in peers:
        name = peer.label.split(".")[-1]
        if not peer.event("connected"):
            log(f"note: {name} never connected; nothing to end on its side")
            continue
        try:
            wait_until(lambda: set(peer.states()) & set(GONE) or peer.event("dc_closed"), timeout,
                       f"{peer.label} to see the connection end")
            harness.expect(True, f"{name} sees the end")
        except E2EFailure as error:
            harness.expect(False, f"{name} sees the end", str(error))


def baseline(harness):
    """What the idle bridge holds; compare with check_released after the calls."""
    picture = probes.resources(harness.bridge)
    log(f"baseline {picture}")
    return picture


def check_probe_sees_call(harness, before):
    """While a call is up its legs hold UDP sockets: shows the after-call comparison can fail."""
    during = probes.udp_sockets(harness.bridge.proc.pid)
    harness.expect(during is not None and during > before["udp_sockets"],
                   "the UDP probe sees the live call's sockets",
                   f"{during} during the call, {before['udp_sockets']} before")


def check_released(harness, before, timeout=10):
    """No call left (/metrics wabridge_active_calls 0) and the resources back to `before`."""
    bridge = harness.bridge

    def settled():
        try:
            active = probes.metrics(bridge).get("wabridge_active_calls")
        except OSError:
            return False
        return active == 0 and probes.resources(bridge) == before

    try:
        wait_until(settled, timeout, "no active call and the resources of the idle bridge")
        ok = True
    except E2EFailure:
        ok = False
    try:
        active = probes.metrics(bridge).get("wabridge_active_calls")
    except OSError as error:
        active = f"unreadable ({error})"
    now = probes.resources(bridge)
    harness.expect(active == 0, "/metrics wabridge_active_calls 0", f"got {active}")
    for name, value in before.items():
        harness.expect(now.get(name) == value, f"{name} back to {value}", f"now {now.get(name)}")
    return ok


def check_ended_and_released(harness, call_id, peers, before, graph):
    """The closing checks of a call that ended while wabridge runs on: the peers saw the end, the
    resources are back to `before`, Graph saw `graph` (see check_graph), one call_ended."""
    check_peers_see_end(harness, peers)
    check_released(harness, before)
    check_graph(harness, call_id, graph)
    harness.expect(len(harness.bridge.logs("call_ended", call_id=call_id)) == 1,
                   "exactly one call_ended")
    harness.expect(harness.bridge.alive(), "wabridge still running")


def signal_bridge(harness, signum):
    os.kill(harness.bridge.proc.pid, signum)
    log(f"sent {signal.Signals(signum).name} to wabridge (pid {harness.bridge.proc.pid})")
    return time.monotonic()


def wait_bridge_exit(harness, timeout):
    """Waits for wabridge to exit by itself; returns (exit status or None, when). The harness
    then skips its own stop-and-check and this checks for sanitizer reports instead."""
    try:
        wait_until(lambda: not harness.bridge.alive(), timeout, "wabridge to exit")
    except E2EFailure:
        return None, time.monotonic()
    at = time.monotonic()
    harness.check_bridge_exit(expect_exited=True)
    return harness.bridge.proc.returncode, at


# --- Ogg Opus files -----------------------------------------------------------------------------


def _ogg_crc(data):
    """The Ogg page checksum: CRC-32, polynomial 0x04C11DB7, no reflection, init 0."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(serial, sequence, granule, packets, flags=0):
    lacing = b""
    for packet in packets:
        size = len(packet)
        lacing += b"\xff" * (size // 255) + bytes([size % 255])
    header = struct.pack("<4sBBqIII", b"OggS", 0, flags, granule, serial, sequence, 0)
    header += bytes([len(lacing)]) + lacing
    body = b"".join(packets)
    crc = _ogg_crc(header + body)
    return header[:22] + struct.pack("<I", crc) + header[26:] + body


def announcement_packets(count):
    """`count` distinct 20 ms Opus packets (TOC 0xFC: CELT fullband 20 ms, mono, one frame);
    their bodies are arbitrary but distinct, so each one can be recognised on arrival."""
    packets = []
    for i in range(count):
        body = bytes((i * 13 + k * 7 + 1) & 0xFF for k in range(40 + i % 7))
        packets.append(b"\xfc" + struct.pack(">H", i) + body)
    return packets


def write_ogg_opus(path, packets, pre_skip=312):
    """An Ogg Opus file (RFC 7845): OpusHead page, OpusTags page, then the audio packets, a few
    per page; granule positions count 48 kHz samples."""
    serial = zlib.crc32(path.encode()) & 0xFFFFFFFF
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48000, 0, 0)
    vendor = b"wab-e2e"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page(serial, 0, 0, [head], flags=0x02), _ogg_page(serial, 1, 0, [tags])]
    per_page = 5
    granule = 0
    for start in range(0, len(packets), per_page):
        chunk = packets[start:start + per_page]
        granule += 960 * len(chunk)
        last = start + per_page >= len(packets)
        pages.append(_ogg_page(serial, len(pages), granule, chunk, flags=0x04 if last else 0))
    with open(path, "wb") as f:
        f.write(b"".join(pages))
    return path


def opus_samples(packet):
    """48 kHz samples in one Opus packet, from its TOC byte (RFC 6716 §3.1)."""
    config, code = packet[0] >> 3, packet[0] & 3
    if config < 12:
        frame = (480, 960, 1920, 2880)[config % 4]  # SILK 10/20/40/60 ms
    elif config < 16:
        frame = (480, 960)[config % 2]  # hybrid 10/20 ms
    else:
        frame = (120, 240, 480, 960)[config % 4]  # CELT 2.5/5/10/20 ms
    frames = 1 if code == 0 else 2 if code in (1, 2) else packet[1] & 0x3F
    return frame * frames

