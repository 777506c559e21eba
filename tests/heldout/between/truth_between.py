#!/usr/bin/env python3
"""Ground truth (.facts) of a tests/heldout/make-between.sh capture, built from the logs of the
programs that made the traffic, never from the capture:

- each client's own log (tests/heldout/make-between.sh writes paho_between.py and
  mqttjs_between.js): one connection per SOCKET_OPEN line (the local address and port the client
  itself reported), then what the client saw on it: CONNACK return code, the DISCONNECT it sent,
  PINGREQ/PINGRESP, its socket closing, its process exiting;
- the broker's log: mosquitto's "Client X already connected, closing old connection." followed by
  "New client connected from A:P as X" (which connection was taken over by which), its "Sending
  CONNACK" lines; aedes's log lines written by make-between.sh's aedes wrapper (takeover with both
  ports, connackSent by port);
- haproxy's log (one line per proxied connection: client port, backend source port, total time,
  termination state);
- the scenario's design, passed on the command line (when the broker was frozen or killed).

Every connection must be explained by one rule; anything else stops the script with an error
rather than guessing. The format is samples/README.md's, with the keys documented in
tests/heldout/README-between.md.
"""
import argparse
import collections
import re
import sys

STORM_MIN_CONNECTIONS = 10       # the bar: one id opening ten or more connections
CONNACK_WAIT_MIN_S = 1.0         # a connection closed sooner without CONNACK: no connack_missing expected
MASS_CLOSE_MIN = 5               # a designed mass close must close at least this many ...
MASS_CLOSE_GAP_S = 2.0           # ... with no gap between two closes longer than this (proxy rounds are ~7 s apart)

NEVER_ANSWERED = set()           # ports whose CONNECT the broker was made never to answer (aedes "hang")

CAUSE_OF_VERDICT = {
    "session_taken_over": "takeover",
    "connect_refused": "refused",
    "intermediary_idle_close": "proxy_idle_timeout",
    "server_closed": "server_closes",
}


def fail(msg):
    sys.stderr.write("truth_between: %s\n" % msg)
    sys.exit(1)


class Conn:
    def __init__(self, meta, tag, ts, addr, port, cid):
        self.client, self.transport, self.mqtt, self.server_port, self.ka = meta
        self.tag, self.open_ts, self.addr, self.port, self.client_id = tag, ts, addr, port, cid
        self.connack = None
        self.sent_disconnect = False
        self.recv_disconnect = None
        self.pingreq = self.pingresp = 0
        self.close_ts = None
        self.close_event = None        # socket_close | exit | open
        self.errors = []
        self.on_disconnect_rc = None
        # decided below
        self.verdict = self.closed_by = self.close_how = None
        self.taken_over_by = None
        self.findings = []
        self.mass_cause = None
        self.connack_not_received = False
        self.dropped = False

    @property
    def key(self):
        return (self.addr, self.port)


def parse_client_log(spec):
    try:
        path, client, transport, mqtt, server_port, ka = spec.rsplit(":", 5)
    except ValueError:
        fail("--client wants LOG:CLIENT:TRANSPORT:MQTT:SERVER_PORT:KEEPALIVE, not %r" % spec)
    meta = (client, transport, mqtt, int(server_port), int(ka))
    conns, current, last_ts = [], {}, None
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        fail("%s: %s" % (path, e))
    for line in lines:
        parts = line.split(" ", 2)
        if len(parts) < 3:
            continue
        ts, tag, msg = float(parts[0]), parts[1], parts[2]
        last_ts = ts
        if tag == "-":
            if msg.startswith("END exit"):
                for c in current.values():
                    c.close_ts, c.close_event = ts, "exit"
                current.clear()
            continue
        c = current.get(tag)
        m = re.match(r"SOCKET_OPEN LOCAL_ADDR (\S+) LOCAL_PORT (\d+) CLIENT_ID ?(.*)$", msg)
        if m:
            if c is not None:
                fail("%s %s: a second SOCKET_OPEN before the first connection closed" % (path, tag))
            addr = m.group(1)
            if addr.startswith("::ffff:"):
                addr = addr[7:]
            c = Conn(meta, tag, ts, addr, int(m.group(2)), m.group(3))
            conns.append(c)
            current[tag] = c
            continue
        if msg.startswith("ON_DISCONNECT"):
            # paho calls on_disconnect around its on_socket_close: attach it to the tag's last connection
            mine = [x for x in conns if x.tag == tag]
            if mine and abs(ts - (mine[-1].close_ts or ts)) < 0.5:
                mine[-1].on_disconnect_rc = int(re.search(r"rc=(\d+)", msg).group(1))
            continue
        if c is None:
            continue              # events of a connection attempt that never opened (refused SYN)
        m = re.match(r"CONNACK rc=(\d+)", msg)
        if m:
            c.connack = int(m.group(1))
        elif msg.startswith("PAHO Sending DISCONNECT") or msg == "SEND disconnect":
            c.sent_disconnect = True
        elif msg.startswith("PAHO Sending PINGREQ") or msg == "SEND pingreq":
            c.pingreq += 1
        elif msg.startswith("PAHO Received PINGRESP") or msg == "RECV pingresp":
            c.pingresp += 1
        elif msg.startswith("RECV disconnect"):
            c.recv_disconnect = msg
        elif msg.startswith("DROP"):
            c.dropped = True      # MQTT.js end(true): the stream destroyed, no DISCONNECT
        elif msg.startswith("ERROR"):
            c.errors.append(msg)
        elif msg in ("SOCKET_CLOSE", "CLOSE"):
            c.close_ts, c.close_event = ts, "socket_close"
            del current[tag]
    # a connection still open when the process ended was closed by the kernel at its exit
    for c in current.values():
        c.close_ts, c.close_event = last_ts, "exit"
    # TCP connection attempts that never opened (the broker was down): MQTT.js's ECONNREFUSED,
    # paho's "Connection failed, retrying"
    refused_syn = sum(1 for line in lines if "ECONNREFUSED" in line or "PAHO Connection failed" in line)
    return conns, refused_syn


def parse_mosquitto(path):
    """-> takeovers {old_port: new_port}, CONNACK codes sent (list), connected {port: id},
    terminate timestamps."""
    takeovers, connack_codes, connected, terminating = {}, [], {}, []
    current, pending = {}, {}
    for line in open(path).read().splitlines():
        ts, _, msg = line.partition(": ")
        m = re.match(r"Client (.*) already connected, closing old connection\.$", msg)
        if m:
            cid = m.group(1)
            if cid not in current:
                fail("%s: takeover of %s, which was never connected" % (path, cid))
            pending[cid] = current[cid]
            continue
        m = re.match(r"New client connected from (\S+):(\d+) as (.*) \(p\d", msg)
        if m:
            port, cid = int(m.group(2)), m.group(3)
            if cid in pending:
                takeovers[pending.pop(cid)] = port
            current[cid] = port
            connected[port] = cid
            continue
        m = re.match(r"Sending CONNACK to .* \((\d+), (\d+)\)$", msg)
        if m:
            connack_codes.append(int(m.group(2)))
            continue
        if re.match(r"mosquitto version \S+ terminating", msg):
            terminating.append(int(ts))
    if pending:
        fail("%s: takeover announced but no new connection logged for %s" % (path, sorted(pending)))
    return takeovers, connack_codes, connected, terminating


def parse_aedes(path):
    takeovers, connack_by_port, connected = {}, {}, {}
    for line in open(path).read().splitlines():
        m = re.search(r"authenticate port=(\d+) .*: never answering$", line)
        if m:
            NEVER_ANSWERED.add(int(m.group(1)))
        m = re.search(r"takeover id=(.*) old_port=(\d+) new_port=(\d+)$", line)
        if m:
            takeovers[int(m.group(2))] = int(m.group(3))
        m = re.search(r"connackSent port=(\d+) id=(.*) returnCode=(\d+)$", line)
        if m:
            connack_by_port[int(m.group(1))] = int(m.group(3))
        m = re.search(r" client port=(\d+) id=(.*)$", line)
        if m:
            connected[int(m.group(1))] = m.group(2)
    return takeovers, connack_by_port, connected


def parse_haproxy(path):
    """-> {client_port: dict(accept, close, backend_port, term)}"""
    out = {}
    rx = re.compile(r"HAPROXY accept=([\d.]+) client=\S+:(\d+) frontend=\S+ backend_src=\S+:(\d+) "
                    r"server=\S+ Tt=(-?\d+) term=(\S+)")
    for line in open(path).read().splitlines():
        m = rx.search(line)
        if m:
            acc = float(m.group(1))
            out[int(m.group(2))] = {"accept": acc, "close": acc + int(m.group(4)) / 1000.0,
                                    "backend_port": int(m.group(3)), "term": m.group(5)}
    return out


def check_closes(pcap, facts_path):
    """A design check, not a source of truth: in the capture, the first FIN or RST of each
    connection the facts say was closed (close_how=fin) by one side comes from that side.
    Exits non-zero on a mismatch."""
    import subprocess
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp.flags.fin == 1 || tcp.flags.reset == 1",
                          "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.dstport"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    first = {}
    for line in out.splitlines():
        f = line.split("\t")
        src = f[0] or f[1]
        sport, dport = int(f[2]), int(f[3])
        key = (sport, dport) if sport > dport else (dport, sport)   # (client port, server port)
        first.setdefault(key, "client" if sport == key[0] else "server")
    facts = {}
    for line in open(facts_path):
        if "=" in line and not line.startswith("#"):
            k, v = line.rstrip("\n").split("=", 1)
            facts[k] = v
    bad = []
    for k, v in facts.items():
        m = re.match(r"conn(\d+)\.closed_by$", k)
        # with close_how=disconnect the closer is the DISCONNECT's sender, whoever's FIN is first
        if m and facts.get("conn%s.close_how" % m.group(1)) == "fin":
            n = m.group(1)
            key = (int(facts["conn%s.client_port" % n]), int(facts["conn%s.server_port" % n]))
            if first.get(key) != v:
                bad.append("conn%s (port %d): closed_by=%s, the capture's first FIN/RST is the %s's"
                           % (n, key[0], v, first.get(key)))
    if bad:
        fail("design check: " + "; ".join(bad))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--check-closes":
        return check_closes(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--cap-end", type=float, required=True, help="epoch when the capture stopped")
    ap.add_argument("--writer", default="tests/heldout/make-between.sh", help="named in the header")
    ap.add_argument("--comment", default="")
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--fact", action="append", default=[], help="KEY=VALUE, written as is")
    ap.add_argument("--broker", help="mosquitto:LOG or aedes:LOG")
    ap.add_argument("--proxy", help="haproxy:LOG")
    ap.add_argument("--side", choices=["front", "back"], help="which side of the proxy the capture shows")
    ap.add_argument("--proxy-timeout", type=float)
    ap.add_argument("--client", action="append", default=[], help="LOG:CLIENT:TRANSPORT:MQTT:SERVER_PORT:KA")
    ap.add_argument("--cause", help="the storm cause by design, when the verdicts do not name one")
    ap.add_argument("--addr-group", action="append", default=[], help="an address whose ids are empty or random")
    ap.add_argument("--server-close-at", help="EPOCH:CAUSE: the broker closed every connection then (SIGTERM)")
    ap.add_argument("--broker-frozen-at", type=float, help="EPOCH the broker was SIGSTOPped")
    a = ap.parse_args()

    conns, refused_syn = [], 0
    for spec in a.client:
        cs, r = parse_client_log(spec)
        conns += cs
        refused_syn += r
    if not conns:
        fail("no connection in the client logs")

    broker_kind = broker_log = None
    takeovers, connack_sent, broker_connected, terminating = {}, None, {}, []
    if a.broker:
        broker_kind, broker_log = a.broker.split(":", 1)
        if broker_kind == "mosquitto":
            takeovers, connack_sent, broker_connected, terminating = parse_mosquitto(broker_log)
        elif broker_kind == "aedes":
            takeovers, connack_sent, broker_connected = parse_aedes(broker_log)
        else:
            fail("unknown broker %s" % broker_kind)
    proxy = parse_haproxy(a.proxy.split(":", 1)[1]) if a.proxy else None

    by_port = {}
    for c in conns:
        if c.port in by_port:
            fail("client port %d used twice in one capture" % c.port)
        by_port[c.port] = c

    if a.proxy and a.side == "back":
        # the broker's side of the proxy: one connection per proxied one, from haproxy's backend port
        back = []
        for c in conns:
            h = proxy.get(c.port)
            if h is None:
                if c.close_ts is not None and c.close_ts <= a.cap_end:
                    fail("no haproxy log line for client port %d" % c.port)
                h = None
            if h is None:
                continue
            b = Conn((c.client, c.transport, c.mqtt, 1882 if c.transport == "websocket" else 1883, c.ka),
                     c.tag, h["accept"], "127.0.0.1", h["backend_port"], c.client_id)
            b.front = c
            b.proxy = h
            b.connack, b.sent_disconnect = c.connack, c.sent_disconnect
            b.close_ts, b.close_event = c.close_ts, c.close_event
            if broker_connected.get(b.port, c.client_id) != c.client_id:
                fail("mosquitto saw port %d as %s, haproxy maps it to %s" % (b.port, broker_connected[b.port], c.client_id))
            back.append(b)
        conns = back
        by_port = {c.port: c for c in conns}
        takeovers = {}

    srv_close_at = srv_close_cause = None
    if a.server_close_at:
        t, srv_close_cause = a.server_close_at.split(":", 1)
        srv_close_at = float(t)
        if broker_kind == "mosquitto" and not any(abs(x - srv_close_at) <= 1.5 for x in terminating):
            fail("mosquitto's log has no 'terminating' line at %.0f" % srv_close_at)

    taken = {old: new for old, new in takeovers.items()}
    for old, new in taken.items():
        if old not in by_port or new not in by_port:
            fail("takeover %d -> %d: a port missing from the client logs" % (old, new))

    for c in conns:
        h = getattr(c, "proxy", None) if a.side == "back" else (proxy.get(c.port) if proxy else None)
        proxy_cut = h is not None and len(h["term"]) >= 2 and h["term"][1] == "D" and h["term"][0] in "cs"
        if c.sent_disconnect:
            if c.port in taken:
                fail("port %d both sent DISCONNECT and was taken over: rerun" % c.port)
            c.verdict, c.closed_by, c.close_how = "mqtt_disconnect", "client", "disconnect"
        elif c.connack not in (None, 0):
            # who closes first after a refusal is a race (mosquitto and aedes close, and so do
            # paho and MQTT.js on reading the CONNACK): no closed_by
            c.verdict = "connect_refused"
        elif c.port in taken:
            t = by_port[taken[c.port]]
            if c.close_event != "socket_close" or not (t.open_ts - 0.5 <= c.close_ts <= t.open_ts + 1.5):
                fail("port %d taken over by %d but its client did not lose it then" % (c.port, t.port))
            c.verdict, c.closed_by, c.close_how, c.taken_over_by = "session_taken_over", "server", "fin", t
        elif proxy_cut:
            c.verdict, c.close_how = "intermediary_idle_close", "fin"
            c.closed_by = "server" if a.side == "front" else "client"
            c.close_ts = h["close"]
            c.mass_cause = "proxy_idle_timeout"
            if c.connack is None:
                fail("port %d cut by the proxy before its CONNACK" % c.port)
        elif (srv_close_at is not None and c.close_event == "socket_close" and c.connack == 0
              and srv_close_at <= c.close_ts <= srv_close_at + 2.0):
            c.verdict, c.closed_by, c.close_how = "server_closed", "server", "fin"
            c.mass_cause = srv_close_cause
        elif c.connack is None and c.close_ts is not None and c.close_ts <= a.cap_end:
            # no CONNACK: the client gave up (its connect timeout) or its process exited
            c.verdict, c.closed_by, c.close_how = "client_closed", "client", "fin"
            c.findings.append("connack_missing")
        elif (a.broker_frozen_at is not None and c.connack == 0 and c.close_event == "socket_close"
              and c.close_ts > a.broker_frozen_at and c.pingreq > c.pingresp):
            c.verdict, c.closed_by, c.close_how = "client_closed_missing_pingresp", "client", "fin"
        elif c.close_ts is None or c.close_ts > a.cap_end:
            c.verdict = "open"
        elif (c.close_event == "exit" or c.dropped) and c.connack == 0:
            c.verdict, c.closed_by, c.close_how = "client_closed", "client", "fin"
        else:
            fail("connection from port %d (%s) fits no rule: connack=%s close=%s errors=%s"
                 % (c.port, c.client_id, c.connack, c.close_event, c.errors))
        broker_mute = c.port in NEVER_ANSWERED or (a.broker_frozen_at is not None and c.open_ts > a.broker_frozen_at)
        if (c.connack is None and c.verdict != "open" and not broker_mute
                and c.close_ts - c.open_ts < CONNACK_WAIT_MIN_S):
            # the client itself closed right after its CONNECT (paho reconnecting just as it was told
            # to stop sends CONNECT then DISCONNECT): a CONNACK may follow its FIN on the wire
            c.connack_not_received = True
            if "connack_missing" in c.findings:
                c.findings.remove("connack_missing")
        elif c.connack is None and c.verdict != "open" and "connack_missing" not in c.findings:
            c.findings.append("connack_missing")     # a CONNECT never answered before the close

    # cross-checks against the broker's own counts
    if broker_kind == "mosquitto" and a.side != "back":
        refused_client = sorted(c.connack for c in conns if c.connack not in (None, 0))
        refused_broker = sorted(x for x in connack_sent if x != 0)
        if refused_client != refused_broker:
            fail("refusing CONNACKs: clients saw %s, mosquitto logged %s" % (refused_client, refused_broker))
    if broker_kind == "aedes":
        for c in conns:
            if c.connack is not None and connack_sent.get(c.port) != c.connack:
                fail("port %d: client saw CONNACK %s, aedes logged %s" % (c.port, c.connack, connack_sent.get(c.port)))

    conns.sort(key=lambda c: (c.open_ts, c.port))
    num = {id(c): i + 1 for i, c in enumerate(conns)}
    lines = []
    fact = lambda k, v: lines.append("%s=%s" % (k, v))
    for k in a.fact:
        lines.append(k)
    fact("connections", len(conns))
    if broker_kind:
        fact("broker", broker_kind)
    if a.proxy:
        fact("proxy", "haproxy")
        fact("proxy_side", a.side)
        fact("proxy_idle_timeout_s", ("%g" % a.proxy_timeout) if a.proxy_timeout else "")
    if refused_syn and a.side != "back":
        fact("tcp_attempts_refused", refused_syn)
    for c in conns:
        p = "conn%d." % num[id(c)]
        fact(p + "transport", c.transport)
        fact(p + "client_addr", c.addr)
        fact(p + "client_port", c.port)
        fact(p + "server_port", c.server_port)
        fact(p + "client", "haproxy" if a.side == "back" else c.client)
        fact(p + "client_id", c.client_id)
        fact(p + "mqtt_version", c.mqtt)
        fact(p + "keepalive", c.ka)
        fact(p + "open_ts", "%.3f" % c.open_ts)
        if c.verdict != "open":
            fact(p + "close_ts", "%.3f" % c.close_ts)
        fact(p + "connack_code", c.connack if c.connack is not None else
             "not_received" if c.connack_not_received else "none")
        if c.closed_by:
            fact(p + "closed_by", c.closed_by)
            fact(p + "close_how", c.close_how)
        fact(p + "expected_verdict", c.verdict)
        if c.taken_over_by is not None:
            fact(p + "taken_over_by", "conn%d" % num[id(c.taken_over_by)])
        if c.findings:
            fact(p + "expected_findings", ",".join(c.findings))

    # per client: by client id, by address when the id is empty
    groups = collections.OrderedDict()
    for c in conns:
        key = ("client_id", c.client_id) if c.client_id else ("client_addr", c.addr)
        groups.setdefault(key, []).append(c)
    storm_groups = [(k, v) for k, v in groups.items() if len(v) >= STORM_MIN_CONNECTIONS]
    for addr in a.addr_group:
        key = ("client_addr", addr)
        members = [c for c in conns if c.addr == addr]
        if len(members) >= STORM_MIN_CONNECTIONS and key not in dict(storm_groups):
            storm_groups.append((key, members))
    fact("clients", len(groups))
    for i, ((kind, val), members) in enumerate(groups.items(), 1):
        p = "client%d." % i
        if kind == "client_id":
            fact(p + "client_id", val)
        else:
            fact(p + "client_id", "")
            fact(p + "client_addr", val)
        fact(p + "connections", len(members))
        fact(p + "reconnect_storm", "yes" if len(members) >= STORM_MIN_CONNECTIONS else "no")
    fact("storms", len(storm_groups))
    for i, ((kind, val), members) in enumerate(storm_groups, 1):
        p = "storm%d." % i
        fact(p + kind, val)
        fact(p + "connections", len(members))
        span = members[-1].open_ts - members[0].open_ts
        fact(p + "span_s", "%.1f" % span)
        fact(p + "rate_per_s", "%.2f" % ((len(members) - 1) / span if span > 0 else 0))
        causes = collections.Counter(
            "connack_missing" if "connack_missing" in m.findings else CAUSE_OF_VERDICT.get(m.verdict, "")
            for m in members)
        cause, count = causes.most_common(1)[0]
        if not cause or count * 2 < len(members):
            cause = a.cause or "mixed"
        fact(p + "cause", cause)

    # mass closes: closes the design made together (broker restart, proxy timeout), clustered
    closes = sorted(((c.close_ts, c) for c in conns if c.mass_cause), key=lambda x: (x[0], x[1].port))
    clusters, cur = [], []
    for ts, c in closes:
        if cur and (ts - cur[-1][0] > MASS_CLOSE_GAP_S or c.mass_cause != cur[-1][1].mass_cause):
            clusters.append(cur)
            cur = []
        cur.append((ts, c))
    if cur:
        clusters.append(cur)
    clusters = [cl for cl in clusters if len(cl) >= MASS_CLOSE_MIN]
    fact("mass_closes", len(clusters))
    for i, cl in enumerate(clusters, 1):
        p = "mass_close%d." % i
        fact(p + "side", cl[0][1].closed_by)
        fact(p + "cause", cl[0][1].mass_cause)
        fact(p + "connections", len(cl))
        fact(p + "first_ts", "%.3f" % cl[0][0])
        fact(p + "window_s", "%.3f" % (cl[-1][0] - cl[0][0]))
        fact(p + "conns", ",".join("conn%d" % num[id(c)] for _, c in sorted(cl, key=lambda x: num[id(x[1])])))

    verdicts = collections.Counter(c.verdict for c in conns)
    with open(a.out, "w") as f:
        f.write("# %s.pcap: written by %s (tests/heldout/between/truth_between.py) from the scenario\n"
                "# design and the logs of the broker, proxy and clients; never from the capture\n" % (a.name, a.writer))
        if a.comment:
            f.write("# %s\n" % a.comment)
        for n in a.note:
            f.write("# %s\n" % n)
        f.write("# verdicts: %s\n" % ", ".join("%s %d" % kv for kv in sorted(verdicts.items())))
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
