#!/usr/bin/python3
"""Chaos test: many concurrent calls through the real wabridge while faults are injected at random
(reproducibly from a seed), then proof that every call ended for a logged reason and that the
process holds nothing of them any more.

metasim (Meta) gives each call one fault: normal, silent (the caller's phone dies without a word:
no RTP, no STUN answers), garbage (random datagrams of every first-byte class at the bridge's
candidates from a stranger's socket), garbage_caller (the same from the caller's own socket),
dup_connect, dup_terminate, terminate_first (the terminate webhook overtakes its connect).
openaisim (OpenAI) fails a share of the agent calls: die (the peer connection closes
mid-call), http500, hang (the calls endpoint never answers).

Afterwards: one call_ended with a cause per call_started, the cause each fault calls for, no
duplicated call or Graph action, /metrics back to idle (active calls, event-loop fds and timers),
the process's UDP sockets back to the count before the first call, /healthz 200, one more normal
call, and SIGTERM → exit status 0 (under ASan that includes LeakSanitizer's verdict).

    test_chaos.py --wabridge PATH --sims DIR --log-dir DIR [--calls 50] [--seed 1] [--budget 300]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim_harness"))
from checks import FAILURES, QUIET_PASSES, check, log, verdict  # noqa: E402
from simprocs import (Child, free_ports, http_get, media_range, openaisim_up,  # noqa: E402
                      require_executables, stop_wabridge, ts, wabridge_env, wait_started,
                      wait_until)

KEEPALIVE_CAP = 8  # idle HTTP connections to the sims the bridge may keep (see keepalive_now)

# What wabridge is configured with; checked against everything it printed at the end.
SECRETS = {"WHATSAPP_ACCESS_TOKEN": "chaos-access-token", "WHATSAPP_APP_SECRET": "chaos-app-secret",
           "WHATSAPP_VERIFY_TOKEN": "chaos-verify-token", "OPENAI_API_KEY": "sk-chaos-not-a-real-key"}


def metrics(port):
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    out = {}
    if status != 200:
        return out
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
    return out


def proc_sockets(pid):
    """(UDP sockets, TCP sockets by remote port) the process holds: its fd socket inodes looked up
    in its network namespace's tables."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))

    def table(name):
        rows = []
        try:
            lines = open(f"/proc/{pid}/net/{name}").read().splitlines()[1:]
        except OSError:
            return rows
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[9] in inodes:
                rows.append(f)
        return rows

    udp = table("udp") + table("udp6")
    tcp = Counter()
    for f in table("tcp") + table("tcp6"):
        # ESTABLISHED, or CLOSE_WAIT: the server closed an idle connection and the client's
        # connection cache notices only when it next looks at it.
        if f[3] in ("01", "08"):
            tcp[int(f[2].rsplit(":", 1)[1], 16)] += 1
    return len(udp), tcp


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_table(pid):
    """fd number -> what it is ("socket tcp ESTABLISHED :port", "anon_inode:[eventfd]", ...)."""
    states = {"01": "ESTABLISHED", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
              "0A": "LISTEN", "02": "SYN_SENT", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
              "09": "LAST_ACK"}
    sockets = {}
    for proto in ("tcp", "tcp6", "udp", "udp6", "unix"):
        try:
            lines = open(f"/proc/{pid}/net/{proto}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if proto == "unix":
                if len(f) > 6:
                    sockets[f[6]] = "unix"
            elif len(f) > 9:
                remote = int(f[2].rsplit(":", 1)[1], 16)
                local = int(f[1].rsplit(":", 1)[1], 16)
                sockets[f[9]] = f"{proto} {states.get(f[3], f[3])} :{local}->:{remote}"
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        out[int(fd)] = sockets.get(m.group(1), target) if m else target
    return out


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--wabridge", required=True)
    p.add_argument("--sims", required=True, help="directory with metasim and openaisim")
    p.add_argument("--log-dir", required=True)
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--seed", type=int, default=int(os.environ.get("WAB_CHAOS_SEED", "1")))
    p.add_argument("--agent-rate", type=float, default=0.25, help="share of agent calls failed")
    p.add_argument("--hangup-after", default="10s", help="normal calls last 50-150 %% of this")
    p.add_argument("--ramp", default="1s", help="the call starts spread over this long")
    p.add_argument("--budget", type=float, default=240,
                   help="seconds the chaos run may take (metasim gives up after this)")
    p.add_argument("--drain-grace", type=int, default=10)
    return p.parse_args()


def main():
    a = parse_args()
    os.makedirs(a.log_dir, exist_ok=True)
    for f in os.listdir(a.log_dir):
        if f.endswith((".log", ".stderr")):
            os.remove(os.path.join(a.log_dir, f))
    metasim, openaisim = os.path.join(a.sims, "metasim"), os.path.join(a.sims, "openaisim")
    require_executables(a.wabridge, metasim, openaisim)
    port_bridge, port_graph, port_openai = free_ports(3)
    media_min, media_max = media_range(4 * a.calls + 100)
    log(f"chaos: seed {a.seed}, {a.calls} calls, agent fault rate {a.agent_rate}, logs in "
        f"{a.log_dir}; ports: bridge {port_bridge}, Graph {port_graph}, OpenAI {port_openai}, "
        f"media {media_min}-{media_max}")
    children = []
    try:
        return run(a, metasim, openaisim, port_bridge, port_graph, port_openai, media_min,
                   media_max, children)
    finally:
        for c in children:
            c.stop(grace=3)


def run(a, metasim, openaisim, port_bridge, port_graph, port_openai, media_min, media_max,
        children):
    t0 = time.monotonic()
    oai = Child("openaisim", [openaisim, "--listen", f"127.0.0.1:{port_openai}",
                              "--api-key", "sk-chaos-not-a-real-key",
                              "--chaos-seed", str(a.seed), "--chaos-rate", str(a.agent_rate)],
                a.log_dir)
    children.append(oai)
    env = wabridge_env(port_bridge, port_graph, port_openai, (media_min, media_max), SECRETS,
                       a.drain_grace)
    bridge = Child("wabridge", [a.wabridge], a.log_dir, env=env)
    children.append(bridge)
    base = f"http://127.0.0.1:{port_bridge}"
    wait_started(oai, port_openai, bridge, base)

    # --- idle baseline --------------------------------------------------------------------------
    pid = bridge.proc.pid
    before = metrics(port_bridge)
    udp_before, _ = proc_sockets(pid)
    fds_before = proc_fds(pid)
    table_before = fd_table(pid)
    log(f"baseline: udp sockets {udp_before}, fds {fds_before}, " + ", ".join(
        f"{k} {v:g}" for k, v in sorted(before.items()) if k.startswith("wabridge_event_loop")
        or k == "wabridge_active_calls"))

    # --- the chaos ------------------------------------------------------------------------------
    started = time.monotonic()
    meta = Child("metasim", [metasim, "--graph-listen", f"127.0.0.1:{port_graph}",
                             "--webhook-url", base + "/webhook",
                             "--app-secret", "chaos-app-secret",
                             "--access-token", "chaos-access-token",
                             "--calls", str(a.calls), "--concurrent", "--chaos-seed", str(a.seed),
                             "--hangup-after", a.hangup_after, "--chaos-ramp", a.ramp,
                             "--silence-limit", "50s",
                             "--max-run", f"{int(a.budget)}s", "--linger", "2s"], a.log_dir)
    children.append(meta)
    peak = 0
    health_bad = []
    while meta.proc.poll() is None and time.monotonic() - started < a.budget + 30:
        m = metrics(port_bridge)
        peak = max(peak, m.get("wabridge_active_calls", 0))
        status, _ = http_get(base + "/healthz")
        if status != 200:
            health_bad.append(status)
        if bridge.proc.poll() is not None:
            break
        time.sleep(0.5)
    chaos_seconds = time.monotonic() - started
    if meta.proc.poll() is None:
        meta.stop()
    check(bridge.proc.poll() is None, "wabridge survived the chaos",
          f"exit status {bridge.proc.returncode}: " + " | ".join(bridge.stderr_tail()))
    if bridge.proc.poll() is not None:
        return 1
    check(meta.proc.returncode == 0, "metasim played every call to its end",
          f"exit status {meta.proc.returncode}: " + " | ".join(meta.stderr_tail()))
    check(not health_bad, "/healthz 200 throughout the chaos", health_bad[:5])
    log(f"chaos phase: {chaos_seconds:.1f} s, peak active calls {peak:g}")

    # --- resources back to idle -----------------------------------------------------------------
    # The loop's gauges count its own fds and timers; HTTP client sockets sit behind one nested
    # epoll fd, so idle keep-alive connections to the sims do not show there: the gauges must
    # return exactly to their idle values. The process's fd table does hold those connections:
    # it may exceed its idle size by exactly the established TCP connections to the sims that
    # /proc shows (no other fd may remain).
    gauges = ("wabridge_event_loop_fds", "wabridge_event_loop_timers",
              "wabridge_http_requests_in_flight")

    def keepalive_now():
        # libcurl keeps finished connections for reuse (its cache holds a few per host); more
        # than KEEPALIVE_CAP to the two sims would be connections nobody owns any more.
        _, tcp = proc_sockets(pid)
        return min(tcp.get(port_graph, 0) + tcp.get(port_openai, 0), KEEPALIVE_CAP)

    def settled():
        m = metrics(port_bridge)
        udp, _ = proc_sockets(pid)
        if m.get("wabridge_active_calls") != 0 or udp != udp_before:
            return None
        if any(g in m and m[g] > before.get(g, 0) for g in gauges):
            return None
        if proc_fds(pid) > fds_before + keepalive_now():
            return None
        return m

    # Hang-ups towards the agent and the last terminates may still be in flight; the HTTP
    # client's own timeout (10 s) bounds that.
    after = wait_until(settled, 20, 0.25) or metrics(port_bridge)
    udp_after, _ = proc_sockets(pid)
    fds_after, keepalive = proc_fds(pid), keepalive_now()
    check(after.get("wabridge_active_calls") == 0, "/metrics wabridge_active_calls 0",
          after.get("wabridge_active_calls"))
    check(udp_after == udp_before, "UDP sockets back to the count before the first call",
          f"{udp_after} now, {udp_before} before")
    new_fds = {fd: what for fd, what in fd_table(pid).items() if table_before.get(fd) != what}
    check(fds_after <= fds_before + keepalive,
          "open fds back to idle, apart from keep-alive connections to the sims",
          f"{fds_after} now, {fds_before} before, {keepalive} keep-alive connection(s); "
          f"new: {new_fds}")
    log(f"  process fds: {fds_before} before, {fds_after} after, of which {keepalive} "
        f"idle connection(s) to the sims: {sorted(new_fds.values())}")
    for gauge in gauges:
        if gauge not in before:
            log(f"note: {gauge} not in /metrics: not checked")
            continue
        check(after.get(gauge, -1) <= before[gauge], f"{gauge} back to idle",
              f"{after.get(gauge):g} now, {before[gauge]:g} before")
        log(f"  {gauge}: {before[gauge]:g} before, {after.get(gauge, -1):g} after")

    # --- what happened to every call ------------------------------------------------------------
    judge_calls(a, bridge.events(), meta.events(), oai.events())

    # --- afterwards: healthy, one more normal call, clean exit ----------------------------------
    check(http_get(base + "/healthz")[0] == 200, "/healthz 200 after the chaos")
    # The final call must meet a healthy agent: a fresh openaisim without faults on the same port
    # (the bridge's idle connections to the old one are gone, as when a server restarts).
    oai.stop()
    oai = Child("openaisim-final", [openaisim, "--listen", f"127.0.0.1:{port_openai}",
                                    "--api-key", "sk-chaos-not-a-real-key"], a.log_dir)
    children.append(oai)
    if not openaisim_up(port_openai):
        check(False, "openaisim restarts for the final call", " | ".join(oai.stderr_tail()))
    final = Child("metasim-final", [metasim, "--graph-listen", f"127.0.0.1:{port_graph}",
                                    "--webhook-url", base + "/webhook",
                                    "--app-secret", "chaos-app-secret",
                                    "--access-token", "chaos-access-token",
                                    "--calls", "1", "--hangup-after", "3s", "--max-run", "40s",
                                    "--linger", "500ms"], a.log_dir)
    children.append(final)
    try:
        final.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        final.stop()
    report = [e for e in final.events() if e.get("event") == "report"]
    result = report[0]["results"][0] if report and report[0].get("results") else {}
    check(final.proc.returncode == 0 and result.get("outcome") == "completed",
          "a normal call after the chaos completes",
          f"{result.get('outcome')} ({result.get('cause')}), exit {final.proc.returncode}")
    ended = [e for e in bridge.events() if e.get("event") == "call_ended"
             and e.get("call_id") == result.get("call_id")]
    check([e.get("cause") for e in ended] == ["caller_hung_up"],
          "the normal call ended with caller_hung_up", [e.get("cause") for e in ended])
    oai.stop()

    stop_at = time.monotonic()
    rc, sanitizer = stop_wabridge(bridge, a.drain_grace + 10)
    stop_s = time.monotonic() - stop_at
    check(rc == 0 and stop_s <= a.drain_grace,
          f"SIGTERM: wabridge exits 0 within the drain grace ({a.drain_grace} s)",
          f"status {rc} after {stop_s:.1f} s; "
          + " | ".join((sanitizer or bridge.stderr_tail())[:8]))
    check(not sanitizer, "no sanitizer report on wabridge's stderr", sanitizer[:5])
    # Error paths galore ran here (failed agent requests, refused Graph actions): none may have
    # printed a secret.
    printed = (open(bridge.out_path, errors="replace").read()
               + open(bridge.err_path, errors="replace").read())
    leaked = [name for name, value in SECRETS.items() if value in printed]
    check(not leaked, "no configured secret in anything wabridge printed", leaked)
    log(f"wabridge stopped in {stop_s:.1f} s; whole test {time.monotonic() - t0:.1f} s")

    return verdict("chaos", f"seed {a.seed}; logs in {a.log_dir}")

def qcheck(ok, what, detail=""):
    return check(ok, what, detail, quiet=True)


def judge_calls(a, bridge_ev, meta_ev, oai_ev):
    by_call = defaultdict(lambda: defaultdict(list))  # wabridge: call id -> event -> lines
    for e in bridge_ev:
        if e.get("call_id"):
            by_call[e["call_id"]][e.get("event")].append(e)
    faults = {e["call_id"]: e for e in meta_ev if e.get("event") == "chaos_fault"}
    report = [e for e in meta_ev if e.get("event") == "report"]
    results = {r["call_id"]: r for r in (report[0].get("results", []) if report else [])}
    graph = defaultdict(list)  # call id -> (action, result) in the order metasim took them
    for e in sorted((e for e in meta_ev if e.get("event") == "graph_action"),
                    key=lambda e: e.get("seq", 0)):
        graph[e["call_id"]].append((e.get("action"), e.get("result")))
    hooks = defaultdict(Counter)  # call id -> (kind, status) -> count
    for e in meta_ev:
        if e.get("event") == "webhook_sent":
            hooks[e["call_id"]][(e.get("kind"), e.get("status"))] += 1
    meta_by_call = defaultdict(lambda: defaultdict(list))
    for e in meta_ev:
        if e.get("call_id"):
            meta_by_call[e["call_id"]][e.get("event")].append(e)

    # openaisim: its faults, and which WhatsApp call each agent belongs to (wabridge logs both ids)
    agent_of = {e["agent_call_id"]: e["call_id"] for e in bridge_ev
                if e.get("event") == "agent_call_created" and e.get("agent_call_id")}
    oai_faults = [e for e in oai_ev if e.get("event") == "chaos_fault"]
    oai_closed = {e["call_id"]: e for e in oai_ev if e.get("event") == "call_closed"}
    deaths = {}  # WhatsApp call id -> openaisim die fault
    for e in oai_faults:
        if e.get("fault") == "die":
            wa = agent_of.get(e.get("call_id"))
            if qcheck(wa is not None, "every dying agent belongs to a wabridge call", e):
                deaths[wa] = e
    http_faults = Counter(e["fault"] for e in oai_faults if e.get("fault") in ("http500", "hang"))

    check(len(results) == a.calls and len(faults) == a.calls,
          f"metasim reports all {a.calls} calls with their faults",
          f"{len(results)} results, {len(faults)} faults")

    # Every call the bridge started ended exactly once, with a cause.
    for cid, ev in by_call.items():
        n_started, ended = len(ev["call_started"]), ev["call_ended"]
        if n_started or ended:
            qcheck(n_started == 1 and len(ended) == 1 and bool(ended[0].get("cause")),
                  f"{cid[:18]}…: one call_started, one call_ended with a cause",
                  f"{n_started} started, causes {[e.get('cause') for e in ended]}")
        if ended and not n_started:
            qcheck(False, f"{cid[:18]}…: call_ended without call_started")
    check(not [c for c in by_call if c not in faults and by_call[c]["call_started"]],
          "wabridge started no call metasim did not place")

    causes = Counter()
    durations = defaultdict(list)
    agent_http_failed = Counter()
    garbage = Counter()  # datagrams sprayed, by first-byte class
    for cid, f in sorted(faults.items(), key=lambda kv: kv[1].get("index", 0)):
        fault = f["fault"]
        ev = by_call.get(cid, {})
        started = ev.get("call_started", []) if ev else []
        ended = ev.get("call_ended", []) if ev else []
        end = ended[0] if ended else {}
        cause = end.get("cause", "(none)")
        tag = f"call {f.get('index')} {cid[:18]}… [{fault}]"
        actions = Counter(g[0] for g in graph.get(cid, []))
        ok_actions = Counter(g[0] for g in graph.get(cid, []) if g[1] == "ok")
        res = results.get(cid, {})
        qcheck(all(n <= 1 for n in actions.values()), f"{tag}: no Graph action twice",
              dict(actions))

        if fault == "terminate_first":
            causes[f"{fault}: {'not answered' if not started else cause}"] += 1
            if started:
                qcheck(end.get("duration_ms", 1e9) <= 5000,
                      f"{tag}: a call answered after its terminate ends promptly",
                      f"cause {cause}, {end.get('duration_ms')} ms")
            qcheck(not ok_actions, f"{tag}: no Graph action succeeds on a terminated call",
                  graph.get(cid))
            continue

        qcheck(len(started) == 1 and len(ended) == 1, f"{tag}: started and ended once",
              f"{len(started)} started, {len(ended)} ended")
        if not ended:
            continue
        causes[f"{fault}: {cause}"] += 1
        durations[fault].append(end.get("duration_ms", 0) / 1000)
        died = deaths.get(cid)
        died_first = died and oai_closed.get(died["call_id"], {}).get("cause") == "chaos_die" \
            and (ts(oai_closed[died["call_id"]]) or 0) <= (ts(end) or 0) + 0.5
        if cause.startswith("agent_"):
            explained = bool(died_first) or cause in ("agent_call_failed", "agent_setup_timeout")
            qcheck(explained, f"{tag}: {cause} only where the agent failed", end)
            if cause in ("agent_call_failed", "agent_setup_timeout"):
                agent_http_failed["http500" if end.get("http_status") == 500 else "hang"] += 1
            want = end.get("graph_action")
            qcheck(want in ("reject", "terminate") and ok_actions.get(want) == 1,
                  f"{tag}: agent failure ends the call with Graph {want}",
                  f"graph_action {want}, metasim saw {graph.get(cid)}")
            continue
        qcheck(not died_first, f"{tag}: the agent's death ends the call", f"cause {cause}")
        if fault == "silent":
            silent_at = meta_by_call[cid].get("caller_silent", [{}])[0]
            noticed = (ts(end) or 0) - (ts(silent_at) or 0) if silent_at else None
            qcheck(cause == "whatsapp_leg_failed" and "consent" in str(end.get("reason", "")),
                  f"{tag}: a dead caller is noticed by ICE consent",
                  f"cause {cause}, reason {end.get('reason')}")
            qcheck(end.get("graph_action") == "terminate" and ok_actions.get("terminate") == 1,
                  f"{tag}: ... and ended with Graph terminate",
                  f"graph_action {end.get('graph_action')}, metasim saw {graph.get(cid)}")
            qcheck(noticed is not None and 20 <= noticed <= 45,
                  f"{tag}: ... about 30 s after the silence", f"{noticed} s")
            if noticed is not None:
                durations["silent (noticed after)"].append(noticed)
            continue
        qcheck(cause == "caller_hung_up" and end.get("graph_action") == "none",
              f"{tag}: ends with caller_hung_up", f"cause {cause}, {end}")
        qcheck(res.get("outcome") == "completed", f"{tag}: metasim saw a completed call",
              f"{res.get('outcome')} ({res.get('cause')}): accepted {res.get('accepted')}, "
              f"connected {res.get('connected')}, packets sent {res.get('packets_sent')} / "
              f"received {res.get('packets_received')}; wabridge forwarded "
              f"{end.get('forwarded_to_caller')} + {end.get('silence_to_caller')} silence to the "
              f"caller in {end.get('duration_ms')} ms")
        qcheck(ok_actions.get("pre_accept") == 1 and ok_actions.get("accept") == 1,
              f"{tag}: one pre_accept and one accept", graph.get(cid))
        if fault == "dup_connect":
            qcheck(hooks[cid][("connect", 200)] == 2 and ev.get("webhook_duplicate"),
                  f"{tag}: second connect acknowledged and ignored as a duplicate",
                  dict(hooks[cid]))
        if fault == "dup_terminate":
            qcheck(hooks[cid][("terminate", 200)] == 2
                   and len(ev.get("webhook_terminate", [])) == 1,
                  f"{tag}: second terminate acknowledged and ignored",
                  f"{dict(hooks[cid])}, wabridge logged {len(ev.get('webhook_terminate', []))}")
        if fault in ("garbage", "garbage_caller"):
            sent = meta_by_call[cid].get("garbage_sent", [{}])[0].get("datagrams", {})
            qcheck(sum(sent.values()) > 0, f"{tag}: garbage was sprayed", sent)
            garbage.update(sent)

    # HTTP faults cannot be tied to a call by id (the request fails before there is one): their
    # numbers must match the calls that ended for them.
    check(agent_http_failed == Counter({k: v for k, v in http_faults.items()}),
          "every failed agent request (500, no answer) ended one call, and nothing else did",
          f"openaisim injected {dict(http_faults)}, wabridge ended {dict(agent_http_failed)}")

    # Graph requests of one call travel on parallel connections, yet Meta must see them in order:
    # the bridge holds its reject or terminate until a pending pre_accept or accept is answered.
    for cid, acts in graph.items():
        ends = [i for i, (action, result) in enumerate(acts)
                if action in ("reject", "terminate") and result == "ok"]
        late = acts[ends[0] + 1:] if ends else []
        check(not late, f"{cid}: no Graph action reaches Meta after the call's end",
              f"fault {faults.get(cid, {}).get('fault')}; all actions {acts}", quiet=True)

    # One agent call per bridge call, even for a repeated connect: openaisim's requests are
    # exactly the calls that got an agent and the ones whose request failed.
    requests = len([e for e in oai_ev if e.get("event") == "call_request"])
    created = len([e for e in bridge_ev if e.get("event") == "agent_call_created"])
    check(requests == created + sum(agent_http_failed.values()),
          "one OpenAI call request per bridge call (none for repeated webhooks)",
          f"{requests} requests, {created} agent calls created, "
          f"{sum(agent_http_failed.values())} failed")
    log(f"per-call checks: {QUIET_PASSES[0]} passed"
        f"{', see FAIL lines above' if FAILURES else ''}")
    log("\n== faults")
    meta_kinds = Counter(f["fault"] for f in faults.values())
    log("  metasim:   " + ", ".join(f"{k} {v}" for k, v in sorted(meta_kinds.items())))
    oai_kinds = Counter(e["fault"] for e in oai_faults)
    log(f"  openaisim: {requests} agent requests; " +
        (", ".join(f"{k} {v}" for k, v in sorted(oai_kinds.items())) or "no faults"))
    log("== causes (fault: wabridge cause)")
    for k, v in sorted(causes.items()):
        log(f"  {v:3d}  {k}")
    log("== durations, seconds (min / median / max)")
    for k, v in sorted(durations.items()):
        log(f"  {k:24s} {min(v):7.1f} {statistics.median(v):7.1f} {max(v):7.1f}  ({len(v)})")
    if garbage:
        log("== garbage datagrams by class: " +
            ", ".join(f"{k} {v}" for k, v in sorted(garbage.items())))
    log("")


if __name__ == "__main__":
    sys.exit(main())
