#!/usr/bin/python3
"""A peer without WebRTC: speaks the JSON-lines protocol of docs/INTEROP.md and reports whatever
it is told to. It checks run_pair.py's verdicts (a bad report, a crash, a hang must fail)."""

import argparse
import json
import sys


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def next_message(wanted):
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == wanted:
            return message
    sys.exit(f"fake peer: stdin closed while waiting for {wanted}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=("offer", "answer"), required=True)
    parser.add_argument("--rtp-valid", type=int, default=100)
    parser.add_argument("--text-valid", choices=("yes", "no", "missing"), default="yes")
    parser.add_argument("--binary-valid", choices=("yes", "no", "missing"), default="yes")
    parser.add_argument("--srtp", default="cm")
    parser.add_argument(
        "--misbehave",
        choices=("none", "crash", "hang", "fail", "no-report", "garbage"),
        default="none",
        help="crash: exit after signalling; hang: never connect; fail: send a failed event; "
        "no-report: ignore close; garbage: print non-JSON and unknown lines",
    )
    args = parser.parse_args()

    if args.misbehave == "garbage":
        print("this is not JSON", flush=True)
        emit({"type": "something-new", "x": 1})
        emit({"type": "log", "message": "logs are fine"})
    if args.role == "offer":
        emit({"type": "offer", "sdp": "v=0\r\n"})
        next_message("answer")
    else:
        next_message("offer")
        emit({"type": "answer", "sdp": "v=0\r\n"})
    if args.misbehave == "crash":
        sys.exit(3)
    if args.misbehave == "fail":
        emit({"type": "event", "event": "failed", "reason": "told to fail"})
    if args.misbehave == "hang":
        next_message("never")
    emit({"type": "event", "event": "connected", "srtp": args.srtp})
    emit({"type": "event", "event": "done"})
    next_message("close")
    if args.misbehave == "no-report":
        next_message("never")
    messages = []
    if args.text_valid != "missing":
        messages.append({"binary": False, "size": 17, "valid": args.text_valid == "yes"})
    if args.binary_valid != "missing":
        messages.append({"binary": True, "size": 204800, "valid": args.binary_valid == "yes"})
    emit(
        {
            "type": "report",
            "rtp_received": args.rtp_valid,
            "rtp_valid": args.rtp_valid,
            "rtp_sent": 100,
            "messages": messages,
        }
    )


if __name__ == "__main__":
    main()
