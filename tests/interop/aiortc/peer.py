#!/usr/bin/python3
"""aiortc peer for the interop harness (docs/INTEROP.md), JSON lines on stdin/stdout.

Sends the pattern RTP payloads by handing pre-built av.Packet objects to aiortc's sender (which
packs them unchanged), and sees raw received payloads by wrapping RTCRtpReceiver's RTP handler.
Run with the system Python (aiortc comes from the Debian package).
"""

import argparse
import asyncio
import fractions
import json
import logging
import os
import re
import sys
import time

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpreceiver import RTCRtpReceiver

PACKET_COUNT = 100
PACKET_INTERVAL = 0.020
SAMPLES_PER_PACKET = 960
BINARY_SIZE = 204800
# What we tell the remote we can receive: big enough for the 200 KiB test message.
MAX_MESSAGE_SIZE = 262144


def pattern(i):
    payload = bytearray(60)
    payload[0] = 0xF8
    payload[1] = (i >> 8) & 0xFF
    payload[2] = i & 0xFF
    for k in range(3, 60):
        payload[k] = (i * 31 + k) & 0xFF
    return bytes(payload)


BINARY_MESSAGE = bytes((k * 7 + 3) & 0xFF for k in range(BINARY_SIZE))


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def log(text):
    print(f"[aiortc-peer] {text}", file=sys.stderr, flush=True)


class Stats:
    def __init__(self, name, want_data):
        self.name = name
        self.want_data = want_data
        self.rtp_received = 0
        self.valid_indices = set()
        self.payload_types = set()
        self.rtp_sent = 0
        self.messages = []
        self.messages_sent = 0
        self.done_event = asyncio.Event()

    def on_rtp(self, packet):
        self.rtp_received += 1
        self.payload_types.add(packet.payload_type)
        payload = packet.payload
        if len(payload) == 60:
            index = (payload[1] << 8) | payload[2]
            if payload == pattern(index):
                self.valid_indices.add(index)
        self.check_done()

    def on_message(self, message):
        if isinstance(message, str):
            valid = message.startswith("hello from ")
            self.messages.append({"binary": False, "size": len(message.encode()), "valid": valid})
        else:
            valid = message == BINARY_MESSAGE
            self.messages.append({"binary": True, "size": len(message), "valid": valid})
        self.check_done()

    def check_done(self):
        if self.done_event.is_set():
            return
        if self.rtp_sent < PACKET_COUNT or len(self.valid_indices) < PACKET_COUNT:
            return
        if self.want_data:
            if self.messages_sent < 2:
                return
            if not any(m["valid"] and not m["binary"] for m in self.messages):
                return
            if not any(m["valid"] and m["binary"] for m in self.messages):
                return
        self.done_event.set()
        emit({"type": "event", "event": "done"})

    def report(self):
        return {
            "type": "report",
            "peer": self.name,
            "rtp_received": self.rtp_received,
            "rtp_valid": len(self.valid_indices),
            "rtp_sent": self.rtp_sent,
            "rtp_payload_types": sorted(self.payload_types),
            "messages": self.messages,
        }


STATS = None
_original_handle_rtp = RTCRtpReceiver._handle_rtp_packet


async def _observing_handle_rtp(self, packet, arrival_time_ms):
    if STATS is not None:
        STATS.on_rtp(packet)
    await _original_handle_rtp(self, packet, arrival_time_ms)


RTCRtpReceiver._handle_rtp_packet = _observing_handle_rtp


class PatternTrack(MediaStreamTrack):
    """Yields PACKET_COUNT pre-encoded Opus packets, paced at 20 ms, once `start` is set."""

    kind = "audio"

    def __init__(self, stats, start):
        super().__init__()
        self.stats = stats
        self.start = start
        self.index = 0
        self.first_time = None
        self.time_base = fractions.Fraction(1, 48000)

    async def recv(self):
        await self.start.wait()
        if self.index >= PACKET_COUNT:
            await asyncio.Event().wait()  # done: idle until the sender is stopped
        if self.first_time is None:
            self.first_time = time.monotonic()
        delay = self.first_time + self.index * PACKET_INTERVAL - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = av.Packet(pattern(self.index))
        packet.pts = self.index * SAMPLES_PER_PACKET
        packet.time_base = self.time_base
        self.index += 1
        self.stats.rtp_sent = self.index
        if self.index == PACKET_COUNT:
            asyncio.get_running_loop().call_soon(self.stats.check_done)
        return packet


def unify_bundle(sdp):
    """aiortc puts separate ICE credentials/ports in each m-section even when it offers BUNDLE;
    strict answerers (Pion, ours) reject that. Copy the first section's transport lines (port,
    candidates, ufrag, pwd) into the other sections: aiortc uses only the first section's
    transport once the answer accepts the bundle."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    sections = [[]]
    for line in lines:
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    session, media = sections[0], sections[1:]
    if len(media) < 2:
        return sdp
    transport_prefixes = ("a=candidate:", "a=end-of-candidates", "a=ice-ufrag:", "a=ice-pwd:")
    first = media[0]
    first_port = first[0].split(" ")[1]
    first_transport = [line for line in first if line.startswith(transport_prefixes)]
    rebuilt = [first]
    for section in media[1:]:
        parts = section[0].split(" ")
        parts[1] = first_port
        kept = [line for line in section[1:] if not line.startswith(transport_prefixes)]
        rebuilt.append([" ".join(parts)] + kept + first_transport)
    out = session + [line for section in rebuilt for line in section]
    return "\r\n".join(out) + "\r\n"


def advertise_max_message_size(sdp):
    """Declare (in the application section) that we receive messages up to MAX_MESSAGE_SIZE."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    out = []
    in_application = False
    for line in lines:
        if line.startswith("m="):
            if in_application:
                out.append(f"a=max-message-size:{MAX_MESSAGE_SIZE}")
            in_application = line.startswith("m=application")
        if line.startswith("a=max-message-size:"):
            continue
        out.append(line)
    if in_application:
        out.append(f"a=max-message-size:{MAX_MESSAGE_SIZE}")
    return "\r\n".join(out) + "\r\n"


def modern_sctp(sdp):
    """Rewrites aiortc's legacy data section (`DTLS/SCTP 5000` + a=sctpmap) into the current
    form (`UDP/DTLS/SCTP webrtc-datachannel` + a=sctp-port). Chromium ignores max-message-size
    in the legacy form; aiortc accepts either form in the answer."""
    out = []
    for line in sdp.replace("\r\n", "\n").rstrip("\n").split("\n"):
        match = re.match(r"^m=application (\d+) DTLS/SCTP (\d+)$", line)
        if match:
            out.append(f"m=application {match.group(1)} UDP/DTLS/SCTP webrtc-datachannel")
            out.append(f"a=sctp-port:{match.group(2)}")
            continue
        if line.startswith("a=sctpmap:"):
            continue
        out.append(line)
    return "\r\n".join(out) + "\r\n"


class StdinLines:
    def __init__(self):
        self.reader = None

    async def open(self):
        loop = asyncio.get_running_loop()
        self.reader = asyncio.StreamReader(limit=1 << 20)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(self.reader), sys.stdin
        )

    async def next(self):
        """Next JSON object from stdin, or None at EOF. Non-JSON lines are skipped."""
        while True:
            line = await self.reader.readline()
            if not line:
                return None
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                return message


async def wait_for(lines, wanted):
    while True:
        message = await lines.next()
        if message is None:
            raise EOFError(f"stdin closed while waiting for {wanted}")
        if message.get("type") == wanted:
            return message
        if message.get("type") == "close":
            raise EOFError(f"close received while waiting for {wanted}")


def attach_channel(channel, stats, name):
    def send_messages():
        channel.send(f"hello from {name}")
        channel.send(BINARY_MESSAGE)
        stats.messages_sent = 2
        stats.check_done()

    channel.on("message", stats.on_message)
    if channel.readyState == "open":
        send_messages()
    else:
        channel.on("open", send_messages)


async def run(args):
    global STATS
    stats = Stats(args.name, args.data)
    STATS = stats
    lines = StdinLines()
    await lines.open()

    pc = RTCPeerConnection()
    start = asyncio.Event()
    track = PatternTrack(stats, start)

    @pc.on("connectionstatechange")
    async def on_state():
        state = pc.connectionState
        log(f"connection state {state}")
        if state == "connected" and not start.is_set():
            start.set()
            emit({"type": "event", "event": "connected", "peer": args.name, "srtp": "cm"})
        elif state == "failed":
            emit({"type": "event", "event": "failed", "reason": "aiortc connection failed"})

    @pc.on("datachannel")
    def on_datachannel(channel):
        log(f"remote data channel {channel.label}")
        attach_channel(channel, stats, args.name)

    if args.role == "offer":
        pc.addTrack(track)
        if args.data:
            attach_channel(pc.createDataChannel("wab"), stats, args.name)
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        if not args.raw_offer:
            sdp = unify_bundle(sdp)
        if args.data:
            if args.modern_sctp:
                sdp = modern_sctp(sdp)
            sdp = advertise_max_message_size(sdp)
        emit({"type": "offer", "sdp": sdp})
        answer = await wait_for(lines, "answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    else:
        offer = await wait_for(lines, "offer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        pc.addTrack(track)
        await pc.setLocalDescription(await pc.createAnswer())
        sdp = pc.localDescription.sdp
        if "m=application" in sdp:
            sdp = advertise_max_message_size(sdp)
        emit({"type": "answer", "sdp": sdp})

    await wait_for(lines, "close")
    emit(stats.report())
    try:
        await asyncio.wait_for(pc.close(), timeout=2)
    except Exception:  # closing is best effort; the report is out
        pass


def main():
    parser = argparse.ArgumentParser(description="aiortc interop peer")
    parser.add_argument("--role", choices=("offer", "answer"), required=True)
    parser.add_argument("--data", action="store_true", help="offer: add a data channel")
    parser.add_argument(
        "--modern-sctp",
        action="store_true",
        help="offer: current data m-line form instead of aiortc's legacy DTLS/SCTP form",
    )
    parser.add_argument(
        "--raw-offer",
        action="store_true",
        help="offer: keep aiortc's per-section ICE credentials and ports (answerers must cope)",
    )
    parser.add_argument("--name", default="aiortc")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    try:
        asyncio.run(run(args))
    except EOFError as error:
        log(str(error))
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()
    os._exit(0)  # do not wait for aiortc's leftover tasks/threads


if __name__ == "__main__":
    main()
