#!/usr/bin/python3
"""Derived captures for issue 13 (joined late, lossy, one-sided) and their truth.

    derive.py --out DIR SOURCE.pcap...      (each SOURCE.pcap has SOURCE.facts beside it)

For every MQTT source capture, made with Wireshark's editcap / tshark from the real capture:
  cut            editcap -r IN OUT A-LAST: the capture starts at frame A, a seeded point 30..60 %
                 into the capture, never between a connection's SYN and its CONNACK
  cut-early      the same, 10..25 % into the capture
  lossy-pingreq  editcap IN OUT N...: one frame holding a PINGREQ (and nothing else) deleted in
                 every connection that sent one
  lossy-pingresp the same with a PINGRESP
  lossy-publish  the same with a frame where a PUBLISH ends (its last segment)
  onesided-c2s   tshark -Y 'tcp.dstport==SERVER' -w: only the client->server direction
  onesided-s2c   tshark -Y 'tcp.srcport==SERVER' -w: only the server->client direction
For non-MQTT sources: cut only.

Truth: what REMAINS, computed from tshark's decode of the whole source capture (tools/wire.py)
restricted to the frames kept, plus the source's own truth (its .facts, from the clients' logs)
for what cutting cannot change (who closed, how, the keepalive). Never from mqttka.
"""
import argparse, collections, os, random, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

SERVER_PORTS = wire.WS_PORTS | wire.MQTT_TCP_PORTS


def read_facts(path):
    g, conns = {}, collections.defaultdict(dict)
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        if k.startswith("conn") and "." in k and k[4:k.index(".")].isdigit():
            conns[int(k[4:k.index(".")])][k[k.index(".") + 1:]] = v
        else:
            g[k] = v
    return g, conns


def truth_by_port(g, conns):
    """client_port -> that connection's facts (global keys merged under its own)."""
    out = {}
    if conns:
        for c in conns.values():
            m = dict(g)
            m.update(c)
            if "client_port" in m:
                out[int(m["client_port"])] = m
    elif "client_port" in g:
        out[int(g["client_port"])] = dict(g)
    return out


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def only_packet(st, frame, mtype):
    """True if `frame` completes exactly one MQTT packet of the stream and it is of `mtype`."""
    ps = [p for p in st.packets if p[0] == frame]
    return len(ps) == 1 and ps[0][3] == mtype


class Deriver:
    def __init__(self, out_dir, only=None):
        self.out = out_dir
        self.only = only
        self.written = []

    def derive(self, src):
        base = os.path.basename(src)[:-5]
        facts = src[:-5] + ".facts"
        if not os.path.exists(facts):
            print("derive: %s has no .facts, skipped" % src, file=sys.stderr)
            return
        g, conns = read_facts(facts)
        frames, streams = wire.decode(src)
        if not frames:
            return
        nums = [f.num for f in frames]
        allset = set(nums)
        mqtt = g.get("expected_verdict") != "none"
        truth = truth_by_port(g, conns)
        src_class = g.get("class", "samples")

        # cut: frame A at a seeded point (30..60 % into the capture; cut-early: 10..25 %, which
        # leaves more pings to infer a keepalive from), never between a SYN and its CONNACK
        variants = []
        t0, t1 = frames[0].ts, frames[-1].ts
        for cname, lo, hi in (("cut", 0.3, 0.6), ("cut-early", 0.1, 0.25)):
            rng = random.Random(base + "/" + cname)
            tc = t0 + rng.uniform(lo, hi) * (t1 - t0)
            a = next(f.num for f in frames if f.ts >= tc)
            moved = True
            while moved:
                moved = False
                for st in streams.values():
                    setup = [p[0] for p in st.packets if p[3] in (1, 2)]
                    if st.syn_frame is not None and setup and st.syn_frame < a <= max(setup):
                        a = max(setup) + 1
                        moved = True
            if a > nums[-1]:
                a = nums[-1]
            variants.append((cname, ["editcap", "-r", src, None, "%d-%d" % (a, nums[-1])], set(range(a, nums[-1] + 1)) & allset,
                             "editcap -r %s.pcap OUT %d-%d" % (base, a, nums[-1]), {}))
        if mqtt:
            for kind, mtype in (("pingreq", 12), ("pingresp", 13), ("publish", 3)):
                rng = random.Random(base + "/" + kind)
                dele, per_stream = [], {}
                for st in streams.values():
                    d = "s2c" if mtype == 13 else "c2s"
                    cands = sorted({p[0] for p in st.packets if p[3] == mtype and (mtype == 3 or p[2] == d)
                                    and only_packet(st, p[0], mtype)})
                    if mtype == 3:
                        cands = [c for c in cands if not any(x.num == c and (x.fin or x.rst) for x in frames)]
                    if cands:
                        c = rng.choice(cands)
                        dele.append(c)
                        per_stream[st.sid] = c
                if dele:
                    variants.append(("lossy-" + kind, ["editcap", src, None] + [str(x) for x in sorted(dele)],
                                     allset - set(dele), "editcap %s.pcap OUT %s" % (base, " ".join(map(str, sorted(dele)))),
                                     per_stream))
            ports = sorted({st.server_port for st in streams.values() if st.server_port in SERVER_PORTS})
            if ports:
                for side, fld in (("c2s", "tcp.dstport"), ("s2c", "tcp.srcport")):
                    flt = " || ".join("%s==%d" % (fld, p) for p in ports)
                    kept = {f.num for f in frames if (f.dport if side == "c2s" else f.sport) in ports}
                    variants.append(("onesided-" + side, ["tshark", "-r", src, "-Y", flt, "-w", None], kept,
                                     "tshark -r %s.pcap -Y '%s' -w OUT" % (base, flt), {}))

        for cls, cmd, kept, how, deleted in variants:
            if self.only and cls not in self.only:
                continue
            name = "%s--%s" % (base, cls)
            outp = os.path.join(self.out, name + ".pcap")
            cmd = [outp if x is None else x for x in cmd]
            run(cmd)
            self.written.append(outp)
            self.write_facts(name, base, src_class, cls if mqtt else "nonmqtt-" + cls, how, streams, kept, truth, g, deleted)

    def write_facts(self, name, base, src_class, cls, how, streams, kept, truth, g, deleted):
        lines = ["# %s.pcap: derived by tests/heldout/tools/derive.py from %s.pcap" % (name, base),
                 "# how: %s" % how,
                 "# counts are what remains, from tshark's decode of the whole source capture restricted to the frames kept;",
                 "# closed_by/close_how/keepalive/expected_verdict are the source's truth (its .facts)",
                 "class=%s" % cls, "source_class=%s" % src_class, "derived_from=%s.pcap" % base, "derivation=%s" % how]
        if g.get("expected_verdict") == "none":
            n = sum(1 for st in streams.values() if set(st.frames) & kept)
            lines += ["connections=%d" % n, "mqtt=no", "expected_verdict=none"]
        else:
            conns, ignored = [], []
            for st in sorted(streams.values(), key=lambda s: s.frames[0]):
                kf = set(st.frames) & kept
                if not kf:
                    continue
                has_mqtt = any(p[0] in kept for p in st.packets)
                has_close = any(c[0] in kept for c in st.closes)
                t = truth.get(st.client[1])
                if t is None or not (has_mqtt or has_close):
                    ignored.append(st.client[1])
                    continue
                conns.append((st, kf, t))
            lines.append("connections=%d" % len(conns))
            if ignored:
                lines.append("ignored_client_ports=%s" % ",".join(map(str, ignored)))
            for i, (st, kf, t) in enumerate(conns, 1):
                p = "conn%d." % i
                req, resp, un = wire.ping_pairs(st, kf)
                start_seen = st.syn_frame is not None and st.syn_frame in kf
                c2s = collections.Counter(wire.NAMES.get(x[3], x[3]) for x in st.packets if x[0] in kf and x[2] == "c2s")
                other = sum(v for k, v in c2s.items() if k not in ("PINGREQ", "DISCONNECT"))
                ka = t.get("keepalive", "")
                eka = t.get("server_keepalive") if t.get("server_keepalive", "none") not in ("", "none") else ka
                close_kept = any(c[0] in kf for c in st.closes)
                lines += [p + "client_addr=%s" % st.client[0], p + "client_port=%d" % st.client[1],
                          p + "server_port=%d" % st.server_port, p + "transport=%s" % st.transport,
                          p + "client=%s" % t.get("client", ""), p + "mqtt_version=%s" % t.get("mqtt_version", ""),
                          p + "keepalive=%s" % ka, p + "effective_keepalive=%s" % eka,
                          p + "start_seen=%s" % ("true" if start_seen else "false"),
                          p + "pingreq=%d" % req, p + "pingresp=%d" % resp, p + "pingreq_unanswered=%d" % un,
                          p + "client_packets=%s" % ",".join("%s:%d" % kv for kv in sorted(c2s.items())),
                          p + "keepalive_inferable=%s" % ("yes" if not start_seen and req >= 3 and other == 0 else "no")]
                if "exclude" in t:
                    lines.append(p + "exclude=%s" % t["exclude"])
                if st.sid in deleted:
                    lines.append(p + "deleted_frame=%d" % deleted[st.sid])
                if cls.startswith("onesided-"):
                    lines.append(p + "one_sided=%s" % ("server_missing" if cls.endswith("c2s") else "client_missing"))
                if close_kept or not cls.startswith("cut"):
                    for k in ("closed_by", "close_how", "expected_verdict", "verdicts_consistent", "true_cause"):
                        if k in t:
                            lines.append(p + "%s=%s" % (k, t[k]))
                else:
                    lines += [p + "expected_verdict=open"]
                if "expected_verdict" in t and "verdicts_consistent" not in t:
                    lines.append(p + "verdicts_consistent=%s" % t["expected_verdict"])
        with open(os.path.join(self.out, name + ".facts"), "w") as f:
            f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", action="append", help="make only this variant (cut, cut-early, lossy-pingreq, ...)")
    ap.add_argument("sources", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    d = Deriver(a.out, a.only)
    for s in a.sources:
        d.derive(s)
    total = sum(os.path.getsize(p) for p in d.written)
    print("derive: %d captures, %d bytes" % (len(d.written), total), file=sys.stderr)


if __name__ == "__main__":
    main()
