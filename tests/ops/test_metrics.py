#!/usr/bin/python3
"""GET /metrics before, during and after one simulated call: the wabridge binary between metasim
(Meta: Graph API, the caller's phone, signed webhooks) and openaisim (OpenAI Realtime), all on
loopback (tools/sim). Every scrape must parse as valid exposition format; the figures must move:
active calls 0 -> 1 -> 0, setup histograms +1 at their step, packet and byte counters growing
while the call runs, calls_ended{cause="caller_hung_up"} and outcome{answered} +1 at the end,
process figures present. Then a second call that OpenAI refuses (openaisim --fail http500):
calls_ended{cause="agent_call_failed"}, agent_errors{kind,http_status="500"} and
outcome{not_answered} +1. With --expect-rtcp (simulators that send receiver reports), the per-leg
RTCP loss/jitter/RTT histograms as well.

    test_metrics.py --wabridge PATH --sims DIR --log-dir DIR --reply-audio OGG
"""

import argparse
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "sim_harness"))
from checks import check, log, verdict  # noqa: E402
from exposition import ExpositionError, parse, value  # noqa: E402
from simprocs import (Child, free_ports, http_get, media_range, openaisim_up,  # noqa: E402
                      require_executables, stop_wabridge, wabridge_env, wait_started, wait_until)

APP_SECRET, ACCESS_TOKEN, API_KEY = "ops-app-secret", "ops-access-token", "sk-ops-not-a-key"
HANGUP_AFTER = 8  # seconds after accept: long enough to scrape twice while audio flows


class Scraper:
    def __init__(self, base):
        self.url = base + "/metrics"
        self.errors = []

    def __call__(self):
        """The parsed metrics, or None (the format error is kept for a check)."""
        status, text = http_get(self.url)
        if status != 200:
            self.errors.append(f"HTTP {status}: {text[:200]}")
            return None
        try:
            return parse(text)
        except ExpositionError as e:
            self.errors.append(str(e))
            return None


def setup_count(m, step):
    return value(m, "wabridge_setup_seconds_count", step=step)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wabridge", required=True)
    p.add_argument("--sims", required=True)
    p.add_argument("--log-dir", required=True)
    p.add_argument("--reply-audio", required=True, help="Ogg Opus the agent speaks")
    p.add_argument("--expect-rtcp", action="store_true",
                   help="the simulators send RTCP receiver reports: check the per-leg RTCP "
                        "histograms (loopback: no loss, RTT well under a second)")
    a = p.parse_args()
    metasim, openaisim = os.path.join(a.sims, "metasim"), os.path.join(a.sims, "openaisim")
    require_executables(a.wabridge, metasim, openaisim)
    shutil.rmtree(a.log_dir, ignore_errors=True)
    os.makedirs(a.log_dir)

    port_bridge, port_graph, port_openai = free_ports(3)
    base = f"http://127.0.0.1:{port_bridge}"
    oai = Child("openaisim", [openaisim, "--listen", f"127.0.0.1:{port_openai}",
                              "--api-key", API_KEY, "--reply-audio", a.reply_audio], a.log_dir)
    env = wabridge_env(port_bridge, port_graph, port_openai, media_range(100),
                       {"WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
                        "WHATSAPP_VERIFY_TOKEN": "ops-verify-token", "OPENAI_API_KEY": API_KEY},
                       drain_grace=5)
    bridge = Child("wabridge", [a.wabridge], a.log_dir, env=env)
    children = [oai, bridge]
    scrape = Scraper(base)
    try:
        wait_started(oai, port_openai, bridge, base)
        before = scrape()
        check(before is not None, "the idle scrape parses as exposition format", scrape.errors)
        if before is None:
            return verdict("ops_metrics", f"logs in {a.log_dir}")
        check(value(before, "wabridge_active_calls") == 0, "idle: wabridge_active_calls 0")
        for name in ("process_resident_memory_bytes", "process_open_fds",
                     "process_start_time_seconds", "process_max_fds"):
            check(value(before, name) > 0, f"idle: {name} is present and positive")
        check("process_cpu_seconds_total" in before, "idle: process_cpu_seconds_total present")
        start = value(before, "process_start_time_seconds")
        check(abs(start - time.time()) < 120, "process_start_time_seconds is about now",
              f"{start} vs {time.time()}")
        for step in ("pre_accept", "accept", "first_agent_audio"):
            check(setup_count(before, step) == 0, f"idle: no {step} observation yet")

        meta = Child("metasim", [
            metasim, "--graph-listen", f"127.0.0.1:{port_graph}", "--webhook-url",
            base + "/webhook", "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN,
            "--hangup-after", f"{HANGUP_AFTER}s", "--max-run", "40s", "--linger", "500ms"],
            a.log_dir)
        children.append(meta)

        # During the call: once the first agent audio went out, everything of the setup is in.
        during = wait_until(lambda: (lambda m: m if m and setup_count(m, "first_agent_audio") >= 1
                                     else None)(scrape()), 20, 0.2)
        check(during is not None, "during: first_agent_audio observed within 20 s",
              scrape.errors[-3:] or bridge.stderr_tail())
        if during is None:
            return verdict("ops_metrics", f"logs in {a.log_dir}")
        check(value(during, "wabridge_active_calls") == 1, "during: wabridge_active_calls 1",
              value(during, "wabridge_active_calls"))
        for step in ("pre_accept", "accept", "first_agent_audio"):
            check(setup_count(during, step) == 1, f"during: setup_seconds{{step={step}}} count 1",
                  setup_count(during, step))
        pre, acc, first = (value(during, "wabridge_setup_seconds_sum", step=s)
                           for s in ("pre_accept", "accept", "first_agent_audio"))
        check(0 < pre <= acc <= first < 20, "during: setup times ordered pre_accept <= accept <= "
              "first agent audio", (pre, acc, first))
        time.sleep(1.0)
        later = scrape()
        check(later is not None, "during: scrapes parse", scrape.errors[-1:])
        for direction in ("to_agent", "to_caller"):
            p0 = value(during, "wabridge_media_packets_total", direction=direction)
            p1 = value(later, "wabridge_media_packets_total", direction=direction)
            b1 = value(later, "wabridge_media_bytes_total", direction=direction)
            # 20 ms packets: about 50 a second each way (caller silence, agent speech or fill).
            check(p1 - p0 >= 25, f"during: packets {direction} grow (~50/s)", (p0, p1))
            check(b1 > 12 * p1, f"during: bytes {direction} exceed 12 per packet", (p1, b1))
        check(value(later, "wabridge_calls_ended_total", cause="caller_hung_up") == 0,
              "during: nothing ended yet")

        # After: metasim hangs up (terminate webhook), the call ends and is counted.
        try:
            meta.proc.wait(timeout=HANGUP_AFTER + 30)
        except Exception:
            meta.stop()
        after = wait_until(lambda: (lambda m: m if m and value(m, "wabridge_active_calls") == 0
                                    else None)(scrape()), 15, 0.2)
        check(after is not None, "after: wabridge_active_calls back to 0", scrape.errors[-3:])
        if after is None:
            return verdict("ops_metrics", f"logs in {a.log_dir}")
        check(value(after, "wabridge_calls_ended_total", cause="caller_hung_up") == 1,
              "after: calls_ended_total{cause=\"caller_hung_up\"} 1")
        check(value(after, "wabridge_calls_outcome_total", outcome="answered") == 1,
              "after: calls_outcome_total{outcome=\"answered\"} 1")
        check(value(after, "wabridge_calls_outcome_total", outcome="not_answered") == 0,
              "after: no not_answered outcome")
        check(value(after, "wabridge_calls_started_total") == 1, "after: calls_started_total 1")
        for step in ("pre_accept", "accept", "first_agent_audio"):
            check(setup_count(after, step) == 1, f"after: setup_seconds{{step={step}}} still 1")
        for direction in ("to_agent", "to_caller"):
            p1 = value(later, "wabridge_media_packets_total", direction=direction)
            p2 = value(after, "wabridge_media_packets_total", direction=direction)
            check(p2 >= p1, f"after: packets {direction} keep the ended call's count", (p1, p2))
        forwarded = [e for e in bridge.events("call_ended")]
        if check(len(forwarded) == 1, "wabridge logged one call_ended"):
            e = forwarded[0]
            sent_to_caller = (e.get("forwarded_to_caller", 0) + e.get("silence_to_caller", 0))
            check(value(after, "wabridge_media_packets_total", direction="to_agent") ==
                  e.get("forwarded_to_agent"), "after: packets to_agent equal call_ended's "
                  "forwarded_to_agent")
            check(value(after, "wabridge_media_packets_total", direction="to_caller") ==
                  sent_to_caller, "after: packets to_caller equal call_ended's forwarded + silence")
        check(value(after, "process_cpu_seconds_total") >
              value(before, "process_cpu_seconds_total"), "after: process CPU seconds grew")
        for family in ("wabridge_graph_errors_total", "wabridge_agent_errors_total"):
            check(family in after and not after[family]["samples"],
                  f"after: {family} declared, no series (nothing failed)")
        if a.expect_rtcp:
            for leg in ("whatsapp", "agent"):
                n = value(after, "wabridge_rtcp_loss_ratio_count", leg=leg)
                check(n >= 2, f"after: RTCP reports from the {leg} leg observed", n)
                check(value(after, "wabridge_rtcp_loss_ratio_bucket", leg=leg, le="0") == n,
                      f"after: {leg} leg reports no loss on loopback")
                rtt = value(after, "wabridge_rtcp_rtt_seconds_count", leg=leg)
                rtt_sum = value(after, "wabridge_rtcp_rtt_seconds_sum", leg=leg)
                check(rtt >= 1 and 0 <= rtt_sum / max(rtt, 1) < 0.5,
                      f"after: {leg} leg round trips measured from our sender reports",
                      (rtt, rtt_sum))

        # A call the agent cannot take: OpenAI answers 500, the fallback rejects the call.
        oai.stop()
        oai = Child("openaisim-http500", [openaisim, "--listen", f"127.0.0.1:{port_openai}",
                                          "--api-key", API_KEY, "--fail", "http500"], a.log_dir)
        children.append(oai)
        if not openaisim_up(port_openai):
            check(False, "openaisim --fail http500 starts", oai.stderr_tail())
            return verdict("ops_metrics", f"logs in {a.log_dir}")
        meta2 = Child("metasim-2", [
            metasim, "--graph-listen", f"127.0.0.1:{port_graph}", "--webhook-url",
            base + "/webhook", "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN,
            "--max-run", "30s", "--linger", "500ms"], a.log_dir)
        children.append(meta2)
        failed = wait_until(lambda: (lambda m: m if m and value(
            m, "wabridge_calls_ended_total", cause="agent_call_failed") == 1 and
            value(m, "wabridge_active_calls") == 0 else None)(scrape()), 30, 0.2)
        check(failed is not None, "agent failure: calls_ended_total{cause=\"agent_call_failed\"} "
              "1 and no active call", scrape.errors[-3:])
        if failed is not None:
            check(value(failed, "wabridge_agent_errors_total", kind="agent_call_failed",
                        http_status="500") == 1,
                  "agent failure: agent_errors_total{kind=\"agent_call_failed\","
                  "http_status=\"500\"} 1")
            check(value(failed, "wabridge_calls_outcome_total", outcome="not_answered") == 1,
                  "agent failure: calls_outcome_total{outcome=\"not_answered\"} 1")
            check(value(failed, "wabridge_calls_outcome_total", outcome="answered") == 1,
                  "agent failure: the answered count stays 1")
            check(setup_count(failed, "accept") == 1, "agent failure: no accept observed")
            check(value(failed, "wabridge_calls_started_total") == 2, "calls_started_total 2")
        check(not scrape.errors, "every scrape parsed", scrape.errors[:3])

        oai.stop()
        rc, sanitizer = stop_wabridge(bridge, 15)
        check(rc == 0 and not sanitizer, "wabridge exits 0 on SIGTERM without a sanitizer report",
              f"status {rc}: " + " | ".join((sanitizer or bridge.stderr_tail())[:8]))
    finally:
        for c in children:
            c.stop(grace=3)
    return verdict("ops_metrics", f"logs in {a.log_dir}")


if __name__ == "__main__":
    sys.exit(main())
