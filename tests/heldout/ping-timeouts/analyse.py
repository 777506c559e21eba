#!/usr/bin/python3
"""Times on the wire of the captures measure.sh made (tests/heldout/ping-timeouts/.work/cap/).

    tests/heldout/ping-timeouts/analyse.py [CAPDIR]

For every connection that got a CONNACK and whose client then closed (DISCONNECT, FIN or RST)
with its last PINGREQ unanswered, from tshark's decode (plain MQTT on port 1883):
  pingreq_to_close_ms   the close (the client's first DISCONNECT, FIN or RST) - its last PINGREQ
  lastrx_to_close_ms    the close - the last MQTT packet the broker sent it
  silence_before_ping_ms the PINGREQ - the client's previous MQTT packet (its ping cadence, out)
  rx_before_ping_ms     the PINGREQ - the last MQTT packet the broker sent before it
  close_how             disconnect+fin, fin, rst (what the client put on the wire)
  load                  the machine's 1-minute load average at the freeze (summary: lowest-highest)
Writes results/measurements.tsv (one line a connection) and results/summary.tsv (per library
and keepalive: n, min, median, max), and prints the summary. Connections that do not fit (no
CONNACK, a PINGRESP after the last PINGREQ, no close) are counted in the summary's `skipped`.
"""
import collections, glob, os, re, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPDIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, ".work", "cap")
OUT = os.path.join(HERE, "results")
PINGREQ, PINGRESP, DISCONNECT, CONNACK = 12, 13, 14, 2


def library_version(name, capdir):
    """The version the client logged on its START line."""
    for f in sorted(glob.glob(os.path.join(capdir, name + ".c*.log"))):
        for line in open(f, errors="replace"):
            m = re.search(r"START (\S+) (\S+)", line)
            if m and m.group(2)[0].isdigit():
                return m.group(2)
            if "Library information" in line or "Version:" in line:
                m = re.search(r"Version: (\S+)", line)
                if m:
                    return m.group(1)
    return ""


def events(pcap):
    """{stream: [(time, c2s, [types], fin, rst)]} from tshark."""
    p = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
                        "-e", "frame.time_epoch", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport",
                        "-e", "tcp.flags.fin", "-e", "tcp.flags.reset", "-e", "mqtt.msgtype"],
                       capture_output=True, text=True, check=True)
    ev = collections.defaultdict(list)
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 7:
            continue
        t, stream, sport, dport = float(f[0]), int(f[1]), int(f[2]), int(f[3])
        c2s = dport == 1883
        types = [int(x) for x in f[6].split(",") if x]
        fin = f[4] in ("1", "True")
        rst = f[5] in ("1", "True")
        ev[stream].append((t, c2s, types, fin, rst, sport if c2s else dport))
    return ev


def connection(evs):
    """One connection's measurements, or (None, reason)."""
    if not any(not c2s and CONNACK in ty for _, c2s, ty, _, _, _ in evs):
        return None, "no CONNACK"
    close = None
    for t, c2s, ty, fin, rst, _ in evs:
        if c2s and (DISCONNECT in ty or fin or rst):
            how = "disconnect+fin" if DISCONNECT in ty else ("rst" if rst else "fin")
            if DISCONNECT in ty:   # the FIN that follows the DISCONNECT
                nxt = [e for e in evs if e[1] and e[0] >= t and (e[3] or e[4])]
                if nxt and nxt[0][4]:
                    how = "disconnect+rst"
            close = (t, how)
            break
        if not c2s and (fin or rst):
            return None, "broker closed first"
    if close is None:
        return None, "no close"
    tc, how = close
    before = [e for e in evs if e[0] <= tc]
    reqs = [e for e in before if e[1] and PINGREQ in e[2]]
    if not reqs:
        return None, "no PINGREQ"
    tp = reqs[-1][0]
    if any(not e[1] and PINGRESP in e[2] and e[0] >= tp for e in before):
        return None, "last PINGREQ answered"
    rx = [e[0] for e in before if not e[1] and e[2]]
    rx_before_ping = [t for t in rx if t <= tp]
    prev_out = [e[0] for e in before if e[1] and e[2] and e[0] < tp]
    return {
        "client_port": evs[0][5],
        "pingreq_to_close_ms": (tc - tp) * 1000,
        "lastrx_to_close_ms": (tc - rx[-1]) * 1000 if rx else None,
        "silence_before_ping_ms": (tp - prev_out[-1]) * 1000 if prev_out else None,
        "rx_before_ping_ms": (tp - rx_before_ping[-1]) * 1000 if rx_before_ping else None,
        "close_how": how,
    }, None


def fmt(x):
    return "" if x is None else "%.1f" % x


def main():
    rows, skipped = [], collections.Counter()
    for pcap in sorted(glob.glob(os.path.join(CAPDIR, "*.pcap"))):
        name = os.path.basename(pcap)[:-5]
        m = re.match(r"(.+)-ka(\d+)-r(\d+)$", name)
        if not m:
            continue
        lib, ka, rnd = m.group(1), int(m.group(2)), int(m.group(3))
        ver = library_version(name, CAPDIR)
        lf = os.path.join(CAPDIR, name + ".loadavg")
        load = open(lf).read().split()[0] if os.path.exists(lf) else ""
        for stream, evs in sorted(events(pcap).items()):
            r, why = connection(evs)
            if r is None:
                if why != "no CONNACK":   # reconnects to the frozen broker are expected
                    skipped[(lib, ka)] += 1
                continue
            r.update(lib=lib, version=ver, ka=ka, round=rnd, load=load)
            rows.append(r)
    os.makedirs(OUT, exist_ok=True)
    cols = ["lib", "version", "ka", "round", "client_port", "pingreq_to_close_ms", "lastrx_to_close_ms",
            "silence_before_ping_ms", "rx_before_ping_ms", "close_how", "load"]
    with open(os.path.join(OUT, "measurements.tsv"), "w") as f:
        f.write("\t".join(cols) + "\n")
        for r in sorted(rows, key=lambda r: (r["lib"], r["ka"], r["round"], r["client_port"])):
            f.write("\t".join(fmt(r[c]) if c.endswith("_ms") else str(r[c]) for c in cols) + "\n")
    groups = collections.defaultdict(list)
    for r in rows:
        groups[(r["lib"], r["ka"])].append(r)
    scols = ["lib", "version", "ka", "n", "skipped", "close-ping min", "median", "max",
             "close-lastrx min", "max", "ping-prevout min", "max", "close_how", "load"]
    lines = ["\t".join(scols)]
    for (lib, ka) in sorted(set(groups) | set(skipped)):
        g = groups.get((lib, ka), [])

        def col(k):
            return [r[k] for r in g if r[k] is not None]
        d, lr, so = col("pingreq_to_close_ms"), col("lastrx_to_close_ms"), col("silence_before_ping_ms")
        how = collections.Counter(r["close_how"] for r in g)
        lines.append("\t".join([lib, g[0]["version"] if g else "", str(ka), str(len(g)), str(skipped[(lib, ka)]),
                                fmt(min(d) if d else None), fmt(statistics.median(d) if d else None), fmt(max(d) if d else None),
                                fmt(min(lr) if lr else None), fmt(max(lr) if lr else None),
                                fmt(min(so) if so else None), fmt(max(so) if so else None),
                                ",".join("%s:%d" % kv for kv in sorted(how.items())),
                                "-".join(sorted({r["load"] for r in g if r["load"]}, key=float)[::max(1, len({r["load"] for r in g if r["load"]}) - 1)])]))
    with open(os.path.join(OUT, "summary.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
