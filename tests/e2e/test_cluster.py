#!/usr/bin/python3
"""Cluster mode (REDIS_URL): three wabridge nodes on loopback share one redis-server started here
(with a password: test_secrets searches the nodes' output for it).

1. 30 calls: each connect is posted to two random nodes at once, each terminate to a node that
   does not hold the call -> per call one pre_accept (counted at the fake Graph), one call_started
   on exactly one node, ended by its terminate (call_ended cause caller_hung_up on the owner, its
   OpenAI call hung up), no Graph reject/terminate. While all 30 are up: each node's
   wabridge_active_calls is the number of calls it started and they sum to the cluster's count;
   the dashboard's `stats` event (signed in with ADMIN_TOKEN) carries the cluster's nodes and
   calls; the nodes run with MAX_CALLS_PER_NUMBER=30, so a 31st connect gets Graph reject,
   call_refused_number_limit, no pre_accept, and wabridge_cluster_calls_refused_total
   {cause="number_limit"} sums to 1. Once they ended: that refused call's retry starts nothing,
   a new call is taken again; every doubled connect counted once as a cluster duplicate.
2. One node is killed (SIGKILL) while it holds calls -> a survivor ends each of them through the
   Graph API (`terminate`, once per call) within the record expiry plus one heartbeat, and logs
   cluster_call_orphaned with the dead node; wabridge_cluster_calls_orphaned_total sums to 4.
3. redis-server stops -> a new connect is rejected through the Graph API with
   call_refused_cluster_unavailable logged and no pre_accept, refused counter {cause=
   "redis_unavailable"} 1; /healthz says so and wabridge_cluster_redis_up is 0. Redis starts
   again -> the next call is taken as usual.
4. SIGTERM drains a node holding a call: the others count it as draining; within its grace its
   /healthz is 503 and a new connect posted to it gets Graph reject, call_refused_draining,
   refused counter {cause="draining"} 1, no pre_accept or call_started; the same connect posted
   to another node afterwards starts nothing either (the rejected call stays refused). At its
   grace it ends its call itself (Graph reject: it was never accepted) and exits 0; no survivor
   takes that call for an orphan (no Graph terminate).

Calls carry no media (no Pion peers: light on two cores): the caller's offer and the agent's
answer are written here, with candidates on closed ports. ICE would give up after 15 s; every
call of this test ends well before."""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time

import bridge_harness as h
from e2e_common import ADMIN_TOKEN, REDIS_PASSWORD
from processes import Bridge, Process

TTL = 3  # CLUSTER_CALL_TTL_SECONDS
NODES = 3
CALLS = 30
LIMIT = CALLS  # MAX_CALLS_PER_NUMBER: the sprayed calls fill it (all on one number)


def closed_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FINGERPRINT = ":".join(f"{b:02X}" for b in range(32))


def caller_offer():
    lines = [
        "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
        "a=group:BUNDLE 0", "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 126", "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        f"a=candidate:1 1 udp 2122260223 127.0.0.1 {closed_udp_port()} typ host",
        "a=ice-ufrag:e2eC", "a=ice-pwd:e2eClusterCallerPassw0rd1",
        f"a=fingerprint:sha-256 {FINGERPRINT}", "a=setup:actpass", "a=mid:0", "a=sendrecv",
        "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:126 telephone-event/8000", "a=ssrc:11111111 cname:e2ecluster",
    ]
    return "\r\n".join(lines) + "\r\n"


def agent_answer(offer):
    """The bridge's OpenAI offer answered like a passive ICE-lite peer that never shows up."""
    port = closed_udp_port()
    out = []
    for line in offer.replace("\r\n", "\n").split("\n"):
        if not line or line.startswith(("a=candidate", "a=ice-", "a=fingerprint", "a=setup",
                                        "a=end-of-candidates", "a=group", "a=msid-semantic")):
            continue
        if line.startswith("o="):
            line = "o=- 2 2 IN IP4 127.0.0.1"
        if line.startswith("t="):
            out += [line, "a=ice-lite", "a=group:BUNDLE " + " ".join(re.findall(r"^a=mid:(\S+)", offer, re.M))]
            continue
        out.append(line)
        if line.startswith("m="):
            out += ["c=IN IP4 127.0.0.1", "a=ice-ufrag:e2eA", "a=ice-pwd:e2eClusterAgentPassw0rd12",
                    f"a=fingerprint:sha-256 {FINGERPRINT}", "a=setup:passive",
                    f"a=candidate:1 1 udp 2130706431 127.0.0.1 {port} typ host"]
    return "\r\n".join(l for l in out if not l.startswith("c=IN IP4 0.0.0.0")) + "\r\n"


def call_id(n, tag):
    return f"wacid.CLUSTER{tag}{n:04d}" + "A" * 20


class Cluster:
    def __init__(self, harness):
        self.harness = harness
        self.args = harness.args
        self.redis_port = h.free_port()
        self.redis = None
        self.nodes = {}  # node id -> Bridge
        self.killed = set()
        self.redis_bin = shutil.which("redis-server")
        if not self.redis_bin:
            raise h.E2EFailure("redis-server is not installed (scripts/setup.sh installs it)")

    def start_redis(self):
        self.redis = Process("redis", [self.redis_bin, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--daemonize", "no",
                                       "--requirepass", REDIS_PASSWORD],
                             stdout_file=os.path.join(self.args.log_dir, f"{self.harness.name}.redis.stdout"),
                             stdin=False)

        def accepting():
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5):
                    return True
            except OSError:
                return False

        h.wait_until(accepting, 10, "redis-server accepting connections")

    def stop_redis(self):
        self.redis.stop(grace=3.0)

    def start_node(self, index, extra_env=None):
        port = h.free_port()
        media_min = 20000 + ((os.getpid() * 37 + index * 211) % 14000)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WHATSAPP_"))}
        node_id = f"node{index}"
        env.update({
            "PORT": str(port), "HTTP_HOST": "127.0.0.1", "MEDIA_PUBLIC_IP": "127.0.0.1",
            "MEDIA_PORT_MIN": str(media_min), "MEDIA_PORT_MAX": str(media_min + 199),
            "WHATSAPP_ACCESS_TOKEN": h.ACCESS_TOKEN, "WHATSAPP_APP_SECRET": h.APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": h.VERIFY_TOKEN,
            "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{self.harness.graph.port}/v24.0",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.harness.openai.port}/v1",
            "OPENAI_API_KEY": h.API_KEY, "LOG_LEVEL": "debug",
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.redis_port}/0", "NODE_ID": node_id,
            "CLUSTER_CALL_TTL_SECONDS": str(TTL), "DRAIN_GRACE_SECONDS": "1",
            "MAX_CALLS_PER_NUMBER": str(LIMIT), "ADMIN_TOKEN": ADMIN_TOKEN,
        })
        env.update(extra_env or {})
        bridge = Bridge(self.args.wabridge, env, self.args.log_dir, f"{self.harness.name}.{node_id}",
                        echo=self.args.verbose)
        bridge.wait_healthy()
        self.nodes[node_id] = bridge
        return bridge

    def live(self):
        return {n: b for n, b in self.nodes.items() if n not in self.killed}

    def post(self, node_id, body):
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": h.sign(body)}
        status, _, _ = h.http_request("POST", self.nodes[node_id].url("/webhook"), body, headers)
        return status

    def owner(self, cid, timeout=15):
        def found():
            owners = [n for n, b in self.nodes.items() if b.logs("call_started", call_id=cid)]
            return owners or None

        owners = h.wait_until(found, timeout, f"a node logging call_started for {cid}")
        return owners

    def metric(self, node_id, name, **labels):
        """The sample of `name` whose labels are exactly `labels` (none: the unlabelled one)."""
        status, _, body = h.http_request("GET", self.nodes[node_id].url("/metrics"))
        for line in body.decode().splitlines():
            sample = re.match(r"^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$", line)
            if not sample or sample.group(1) != name:
                continue
            if dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', sample.group(2) or "")) == labels:
                return float(sample.group(3))
        return None

    def metric_sum(self, name, **labels):
        """`name` summed over the live nodes (a node without the sample counts 0)."""
        return sum(self.metric(n, name, **labels) or 0 for n in self.live())

    def dashboard_stats(self, node_id, timeout=5):
        """Signs in to the node's dashboard with the admin token (POST /dashboard/login, Bearer
        header -> session cookie) and reads the first `stats` event of /api/events."""
        bridge = self.nodes[node_id]
        status, headers, _ = h.http_request("POST", bridge.url("/dashboard/login"), b"",
                                            {"Authorization": f"Bearer {ADMIN_TOKEN}"})
        cookie = {k.lower(): v for k, v in headers.items()}.get("set-cookie", "").split(";")[0]
        self.harness.require(status == 204 and cookie.startswith("wab_dashboard="),
                             f"{node_id}: dashboard sign-in gives a session cookie", str(status))
        conn = http.client.HTTPConnection("127.0.0.1", bridge.http_port, timeout=timeout)
        try:
            conn.request("GET", "/api/events", headers={"Cookie": cookie})
            response = conn.getresponse()
            self.harness.require(response.status == 200, f"{node_id}: /api/events opens", str(response.status))
            event = None
            deadline = time.monotonic() + timeout  # a stats event comes every second
            while time.monotonic() < deadline:
                raw = response.readline()
                if not raw:
                    break  # the stream ended
                line = raw.decode().rstrip("\n")
                if not line:
                    event = None
                elif line.startswith("event: "):
                    event = line[len("event: "):]
                elif line.startswith("data: ") and event == "stats":
                    return json.loads(line[len("data: "):])
            raise h.E2EFailure(f"no stats event from {node_id} within {timeout} s")
        finally:
            conn.close()

    def stop_all(self):
        crash = {-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGFPE, -signal.SIGILL}
        for node_id, bridge in self.nodes.items():
            bridge.stop(grace=8.0)
            if node_id in self.killed:
                continue
            self.harness.expect(bridge.proc.returncode not in crash, f"{node_id} did not crash",
                                f"exit status {bridge.proc.returncode}")
            reports = [l for l in bridge.tail("stderr", 10**6)
                       if re.search(r"ERROR: (Address|Leak|Thread)Sanitizer|runtime error:", l)]
            self.harness.expect(not reports, f"no sanitizer report from {node_id}",
                                reports[0][:300] if reports else "")
        if self.redis:
            self.redis.stop()


def graph_count(harness, cid, action):
    return len(harness.graph.requests_for(cid, action))


def expect_soon(harness, value, want, timeout, name):
    """Waits up to `timeout` s for value() == want (counters move a moment after the log line or
    Graph request a test waits on), then records the check with the value last seen."""
    try:
        h.wait_until(lambda: value() == want, timeout, name)
    except h.E2EFailure:
        pass
    seen = value()
    harness.expect(seen == want, name, f"{seen} (want {want})")


def started_anywhere(cluster, cid):
    return [n for n, b in cluster.nodes.items() if b.logs("call_started", call_id=cid)]


def calls_per_node(harness, cluster, owners):
    """While every sprayed call is up: each node's wabridge_active_calls is the calls it started
    (its call_started lines), and they add up to the cluster's count."""
    total = cluster.metric(sorted(cluster.live())[0], "wabridge_cluster_active_calls")
    active_sum = 0
    for n in sorted(cluster.live()):
        active = cluster.metric(n, "wabridge_active_calls")
        started = len(cluster.nodes[n].logs("call_started"))
        owned = sum(1 for o in owners.values() if o == n)
        active_sum += active or 0
        harness.expect(active == started == owned, f"{n}: wabridge_active_calls is the calls it started",
                       f"{active} active, {started} started, {owned} owned")
    harness.expect(active_sum == total == CALLS, "the nodes' active calls add up to the cluster's count",
                   f"{active_sum} on the nodes, {total} in the cluster")


def dashboard_figures(harness, cluster):
    node = "node1"
    figures = cluster.dashboard_stats(node).get("cluster") or {}
    harness.expect(figures.get("node_id") == node and figures.get("redis_up") is True
                   and figures.get("nodes") == NODES and figures.get("calls") == CALLS,
                   "the dashboard's stats event carries the cluster's nodes and calls", json.dumps(figures))


def over_the_limit(harness, cluster):
    """The sprayed calls fill MAX_CALLS_PER_NUMBER: one more connect is refused."""
    node, cid = "node1", call_id(0, "L")
    harness.require(cluster.post(node, h.connect_body(cid, caller_offer())) == 200, "connect over the limit answered 200")
    harness.graph_action(cid, "reject", timeout=10)
    entry = cluster.nodes[node].wait_log("call_refused_number_limit", 5, call_id=cid)
    harness.expect(entry.get("max_calls_per_number") == LIMIT, "the refusal names MAX_CALLS_PER_NUMBER as set",
                   str(entry.get("max_calls_per_number")))
    harness.expect(graph_count(harness, cid, "pre_accept") == 0, "no pre_accept over the limit")
    harness.expect(not started_anywhere(cluster, cid), "no call_started over the limit")
    expect_soon(harness, lambda: cluster.metric_sum("wabridge_cluster_calls_refused_total", cause="number_limit"),
                1, 5, "refused counter {cause=number_limit} sums to 1")
    return node, cid


def taken_again(harness, cluster, node, refused):
    """Once there is room: Meta's retry of the refused call starts nothing, a new call is taken."""
    cluster.post(node, h.connect_body(refused, caller_offer()))
    cid = call_id(1, "L")
    started = time.time()
    cluster.post(node, h.connect_body(cid, caller_offer()))
    harness.graph_action(cid, "pre_accept", timeout=15)
    cluster.nodes[node].wait_log("webhook_connect_after_terminate", 5, call_id=refused)
    harness.expect(graph_count(harness, refused, "pre_accept") == 0 and graph_count(harness, refused, "reject") == 1,
                   "the refused call's retry starts nothing")
    cluster.post(node, h.terminate_body(cid, started))
    cluster.nodes[node].wait_log("call_ended", 10, call_id=cid)


def sprayed_calls(harness, cluster):
    ids = [call_id(n, "S") for n in range(CALLS)]
    started = time.time()
    node_ids = sorted(cluster.live())
    for cid in ids:
        body = h.connect_body(cid, caller_offer())
        first, second = random.sample(node_ids, 2)
        # The same delivery on two nodes at once (Meta's retry landing elsewhere).
        results = []
        threads = [__import__("threading").Thread(target=lambda n=n: results.append(cluster.post(n, body)))
                   for n in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        harness.expect(results == [200, 200], f"connect {cid[-24:]} answered 200 by both nodes", str(results))
    for cid in ids:
        harness.graph_action(cid, "pre_accept", timeout=20)
    owners = {}
    for cid in ids:
        found = cluster.owner(cid)
        harness.expect(len(found) == 1, f"{cid[-24:]} started on exactly one node", str(found))
        owners[cid] = found[0]
    # Retries may still be in flight on the other node: give the cluster a moment to settle by
    # waiting for a heartbeat's worth of records, then check the counts.
    h.wait_until(lambda: all(cluster.metric(n, "wabridge_cluster_active_calls") == CALLS for n in node_ids),
                 10, f"every node counting {CALLS} calls cluster-wide")
    for cid in ids:
        harness.expect(graph_count(harness, cid, "pre_accept") == 1, f"one pre_accept for {cid[-24:]}",
                       str(graph_count(harness, cid, "pre_accept")))
    spread = {n: sum(1 for o in owners.values() if o == n) for n in node_ids}
    harness.expect(sum(1 for n in spread.values() if n > 0) >= 2, "calls spread over the nodes", str(spread))
    calls_per_node(harness, cluster, owners)
    dashboard_figures(harness, cluster)
    limit_node, refused = over_the_limit(harness, cluster)

    for cid in ids:
        others = [n for n in node_ids if n != owners[cid]]
        status = cluster.post(random.choice(others), h.terminate_body(cid, started))
        harness.expect(status == 200, "terminate answered 200", str(status))
    for cid in ids:
        try:
            cluster.nodes[owners[cid]].wait_log("call_ended", 15, call_id=cid)
        except h.E2EFailure as error:
            harness.expect(False, f"call_ended for {cid[-24:]} on its owner", str(error))
    for cid in ids:
        ended = cluster.nodes[owners[cid]].logs("call_ended", call_id=cid)
        cause = ended[0].get("cause") if ended else None
        harness.expect(cause == "caller_hung_up", f"{cid[-24:]} ended by its terminate", str(cause))
        harness.expect(graph_count(harness, cid, "terminate") + graph_count(harness, cid, "reject") == 0,
                       f"no Graph terminate/reject for {cid[-24:]}")
    forwarded = sum(cluster.metric(n, "wabridge_cluster_webhooks_forwarded_total") or 0 for n in node_ids)
    harness.expect(forwarded >= CALLS, "every terminate forwarded to its owner", str(forwarded))
    created = harness.openai.created_ids()
    try:  # call_ended is logged before the hangup request is answered
        h.wait_until(lambda: len(harness.openai.hangup_ids()) >= len(created), 10, "the OpenAI hangups")
    except h.E2EFailure:
        pass  # reported just below
    hung_up = harness.openai.hangup_ids()
    harness.expect(len(created) == CALLS, "one OpenAI call per call", str(len(created)))
    harness.expect(sorted(hung_up) == sorted(created), "each OpenAI call hung up once",
                   f"{len(hung_up)} hangups of {len(created)}")
    h.wait_until(lambda: all(cluster.metric(n, "wabridge_cluster_active_calls") == 0 for n in node_ids),
                 10, "the cluster counting no calls")
    started_total = sum(len(b.logs("call_started")) for b in cluster.live().values())
    harness.expect(started_total == CALLS, "call_started logged once per call in the cluster", str(started_total))
    # Each doubled connect: one node claimed it, the other found it held elsewhere and delivered
    # its copy, which the owner ignored as a duplicate.
    duplicates = cluster.metric_sum("wabridge_cluster_duplicate_connects_total")
    harness.expect(duplicates == CALLS, "each doubled connect counted once as a cluster duplicate", str(duplicates))
    ignored = cluster.metric_sum("wabridge_webhook_duplicates_total")
    harness.expect(ignored >= 1, "the owners ignored the delivered copies as duplicates", str(ignored))
    delivered = cluster.metric_sum("wabridge_cluster_webhooks_delivered_total")
    harness.expect(delivered == forwarded + duplicates, "every forwarded event and copy delivered",
                   f"{delivered} delivered, {forwarded} forwarded, {duplicates} copies")
    taken_again(harness, cluster, limit_node, refused)


def node_loss(harness, cluster):
    victim = "node0"
    ids = [call_id(n, "K") for n in range(4)]
    for cid in ids:
        cluster.post(victim, h.connect_body(cid, caller_offer()))
    for cid in ids:
        harness.graph_action(cid, "pre_accept", timeout=15)
    owners = [cluster.owner(cid) for cid in ids]
    harness.require(all(o == [victim] for o in owners), "the victim holds its calls", str(owners))
    # Its records must be in Redis before it dies (the first heartbeat records nothing new: the
    # claim did).
    cluster.nodes[victim].proc.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    cluster.killed.add(victim)
    for cid in ids:
        harness.graph_action(cid, "terminate", timeout=TTL + 6)
    took = time.monotonic() - killed_at
    # Expiry plus one heartbeat of the survivors (TTL/3) plus scheduling slack.
    harness.expect(took <= TTL + TTL / 3 + 2, "survivors terminated the dead node's calls within the expiry",
                   f"{took:.1f} s")
    for cid in ids:
        harness.expect(graph_count(harness, cid, "terminate") == 1, f"one Graph terminate for {cid[-24:]}",
                       str(graph_count(harness, cid, "terminate")))
        logs = [e for b in cluster.live().values() for e in b.logs("cluster_call_orphaned", call_id=cid)]
        harness.expect(len(logs) == 1 and logs[0].get("dead_node") == victim,
                       f"one cluster_call_orphaned for {cid[-24:]} naming {victim}", str(logs))
    expect_soon(harness, lambda: cluster.metric_sum("wabridge_cluster_calls_orphaned_total"), len(ids), 5,
                "wabridge_cluster_calls_orphaned_total sums to the orphaned calls")
    h.wait_until(lambda: all(cluster.metric(n, "wabridge_cluster_nodes") == NODES - 1 for n in cluster.live()),
                 TTL * 3, "the survivors counting two nodes")


def redis_down(harness, cluster):
    node = sorted(cluster.live())[0]
    cluster.stop_redis()
    h.wait_until(lambda: cluster.metric(node, "wabridge_cluster_redis_up") == 0, 10,
                 "wabridge_cluster_redis_up 0")
    status, _, body = h.http_request("GET", cluster.nodes[node].url("/healthz"))
    harness.expect(status == 200 and b"redis: unavailable" in body, "/healthz reports Redis unavailable",
                   f"{status} {body!r}")
    cid = call_id(0, "R")
    cluster.post(node, h.connect_body(cid, caller_offer()))
    harness.graph_action(cid, "reject", timeout=10)
    cluster.nodes[node].wait_log("call_refused_cluster_unavailable", 5, call_id=cid)
    harness.expect(graph_count(harness, cid, "pre_accept") == 0, "no pre_accept without Redis")
    expect_soon(harness, lambda: cluster.metric_sum("wabridge_cluster_calls_refused_total", cause="redis_unavailable"),
                1, 5, "refused counter {cause=redis_unavailable} sums to 1")

    cluster.start_redis()
    h.wait_until(lambda: cluster.metric(node, "wabridge_cluster_redis_up") == 1, 15,
                 "wabridge_cluster_redis_up 1 once Redis is back")
    cid = call_id(1, "R")
    started = time.time()
    cluster.post(node, h.connect_body(cid, caller_offer()))
    harness.graph_action(cid, "pre_accept", timeout=15)
    cluster.post(node, h.terminate_body(cid, started))
    cluster.nodes[node].wait_log("call_ended", 10, call_id=cid)


def drain(harness, cluster):
    node, other = "node2", "node1"
    cid = call_id(0, "D")
    cluster.post(node, h.connect_body(cid, caller_offer()))
    harness.graph_action(cid, "pre_accept", timeout=15)
    cluster.nodes[node].proc.send_signal(signal.SIGTERM)
    h.wait_until(lambda: cluster.metric(other, "wabridge_cluster_nodes_draining") == 1, TTL * 2,
                 "the other node counting one draining node")
    refused_while_draining(harness, cluster, node, other)
    harness.graph_action(cid, "reject", timeout=10)
    try:
        status = cluster.nodes[node].proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        status = None
    cluster.killed.add(node)  # gone on purpose
    harness.expect(status == 0, "the drained node exited 0", str(status))
    ended = cluster.nodes[node].logs("call_ended", call_id=cid)
    harness.expect(ended and ended[0].get("cause") == "shutdown", "its call ended with cause shutdown",
                   str(ended))
    # Once the survivor's sweep dropped the node, it must have left that call alone.
    h.wait_until(lambda: cluster.metric(other, "wabridge_cluster_nodes") == 1, TTL * 3,
                 "the survivor counting one node")
    harness.expect(not cluster.nodes[other].logs("cluster_call_orphaned", call_id=cid),
                   "the drained node's ended call is no orphan")
    harness.expect(graph_count(harness, cid, "reject") == 1 and graph_count(harness, cid, "terminate") == 0,
                   "one Graph reject and no terminate for the drained call",
                   f"{graph_count(harness, cid, 'reject')} / {graph_count(harness, cid, 'terminate')}")


def refused_while_draining(harness, cluster, node, other):
    """Within its grace the draining node takes no new call, and leaves it refused for all."""
    status, _, body = h.http_request("GET", cluster.nodes[node].url("/healthz"))
    harness.expect(status == 503, "/healthz 503 on the draining node", f"{status} {body!r}")
    cid = call_id(1, "D")
    harness.require(cluster.post(node, h.connect_body(cid, caller_offer())) == 200,
                    "connect to the draining node answered 200")
    harness.graph_action(cid, "reject", timeout=5)
    cluster.nodes[node].wait_log("call_refused_draining", 5, call_id=cid)
    harness.expect(cluster.metric(node, "wabridge_cluster_calls_refused_total", cause="draining") == 1,
                   "refused counter {cause=draining} 1 on the draining node")
    harness.expect(graph_count(harness, cid, "pre_accept") == 0 and not started_anywhere(cluster, cid),
                   "no pre_accept or call_started while draining")
    # Meta's duplicate delivery of it reaching a node that takes calls: the call was rejected,
    # so it must not start there.
    cluster.post(other, h.connect_body(cid, caller_offer()))
    cluster.nodes[other].wait_log("webhook_connect_after_terminate", 5, call_id=cid)
    harness.expect(graph_count(harness, cid, "pre_accept") == 0 and graph_count(harness, cid, "reject") == 1
                   and not started_anywhere(cluster, cid), "the call refused while draining starts on no node")
    harness.expect(cluster.nodes[node].alive(), "the refusals came within the drain grace")


def scenario(harness):
    random.seed(8)
    harness.openai.on_offer = agent_answer
    cluster = Cluster(harness)
    try:
        cluster.start_redis()
        for i in range(NODES):
            # node2 is drained last: long enough a grace for the others to see it draining.
            cluster.start_node(i, {"DRAIN_GRACE_SECONDS": "4"} if i == 2 else None)
        h.wait_until(lambda: all(cluster.metric(n, "wabridge_cluster_nodes") == NODES for n in cluster.nodes),
                     TTL * 3, "every node counting three nodes")
        sprayed_calls(harness, cluster)
        node_loss(harness, cluster)
        redis_down(harness, cluster)
        drain(harness, cluster)
    finally:
        cluster.stop_all()


if __name__ == "__main__":
    h.main(scenario, __doc__)
