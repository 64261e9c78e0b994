#!/usr/bin/python3
"""Setup latency of calls placed by metasim: from the moment metasim posts the signed `connect`
webhook to the moment the bridge's Graph `pre_accept` and `accept` requests reach it (both
measured by metasim's clock, so the bridge's own logging is not trusted for its own speed).
Usage: setup_times.py metasim.log"""
import json
import statistics
import sys
from datetime import datetime


def stamp(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000.0


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main(path):
    placed, pre_accept, accept = {}, {}, {}
    for line in open(path, errors="replace"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        call = event.get("call_id")
        if event.get("event") == "call_placed":
            placed[call] = stamp(event["ts"])
        elif event.get("event") == "graph_request" and call in placed:
            target = pre_accept if event.get("action") == "pre_accept" else accept
            if event.get("action") in ("pre_accept", "accept"):
                target.setdefault(call, stamp(event["ts"]) - placed[call])
    for name, values in (("webhook -> pre_accept", pre_accept), ("webhook -> accept", accept)):
        series = list(values.values())
        if not series:
            print(f"{name}: no data")
            continue
        print(f"{name}: calls {len(series)}, median {statistics.median(series):.1f} ms, "
              f"p99 {percentile(series, 99):.1f} ms, max {max(series):.1f} ms")
    return 0 if pre_accept and accept else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
