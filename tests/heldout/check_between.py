#!/usr/bin/env python3
"""Measure mqttka on the held-out "between connections" captures (issue 14).

    tests/heldout/check_between.py MQTTKA CAPTURE.pcap... [-v]

For each capture, runs `MQTTKA --json -r CAPTURE` (plus `--idle-timeouts S` when the truth names
the proxy's idle timeout) and compares with CAPTURE's .facts (written by make-between.sh from the
programs' logs, see tests/heldout/README-between.md):

- per connection, matched by the client's address and port: the verdict, `taken_over_by` for
  session_taken_over, the CONNACK code, the connack_missing finding;
- per client (`"type":"client"` objects): the number of connections of each client id (of each
  address, for empty ids);
- the reconnect_storm and mass_close findings the truth expects, and those it does not.

Prints one table row per capture and a total. A measuring tool: exits 0 whatever the scores
(2 on bad usage or an unreadable capture).
"""
import collections
import json
import os
import re
import subprocess
import sys

NEW_VERDICTS = ("session_taken_over", "connect_refused")


def read_facts(path):
    facts = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        facts[k] = v
    return facts


def indexed(facts, prefix):
    """conn1.x=.. conn2.x=.. -> {1: {x: ..}, 2: {...}}"""
    out = collections.defaultdict(dict)
    rx = re.compile(r"^%s(\d+)\.(.+)$" % prefix)
    for k, v in facts.items():
        m = rx.match(k)
        if m:
            out[int(m.group(1))][m.group(2)] = v
    return dict(sorted(out.items()))


def split_endpoint(s):
    """'127.0.0.1:1234' or '[::1]:1234' -> ('127.0.0.1', 1234)"""
    m = re.match(r"^\[?([^\]]*?)\]?:(\d+)$", s or "")
    return (m.group(1), int(m.group(2))) if m else (None, None)


def run_mqttka(mqttka, cap, facts):
    cmd = [mqttka, "--json", "-r", cap]
    if facts.get("proxy_idle_timeout_s"):
        cmd[1:1] = ["--idle-timeouts", facts["proxy_idle_timeout_s"]]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 1):
        sys.stderr.write("check_between: %s: mqttka exited %d: %s\n" % (cap, p.returncode, p.stderr.strip()))
        sys.exit(2)
    objs = []
    for line in p.stdout.splitlines():
        try:
            objs.append(json.loads(line))
        except ValueError:
            pass
    return objs


class Ratio:
    def __init__(self):
        self.ok = self.n = 0

    def add(self, good):
        self.n += 1
        self.ok += bool(good)

    def __iadd__(self, o):
        self.ok += o.ok
        self.n += o.n
        return self

    def __str__(self):
        return "%d/%d" % (self.ok, self.n) if self.n else "-"


class Confusion:
    """expected and found sets: tp/expected, +fp"""
    def __init__(self):
        self.tp = self.exp = self.fp = 0

    def __iadd__(self, o):
        self.tp += o.tp
        self.exp += o.exp
        self.fp += o.fp
        return self

    def __str__(self):
        if not self.exp and not self.fp:
            return "-"
        return "%d/%d%s" % (self.tp, self.exp, " +%d" % self.fp if self.fp else "")


def evaluate(mqttka, cap, verbose):
    base = cap[:-5] if cap.endswith(".pcap") else cap
    facts = read_facts(base + ".facts")
    truth = indexed(facts, "conn")
    objs = run_mqttka(mqttka, cap, facts)

    summaries = [o for o in objs if o.get("type") == "connection"]
    by_endpoint, by_num = {}, {}
    for s in summaries:
        by_endpoint[split_endpoint(s.get("client"))] = s
        by_num[s.get("conn")] = s
    connack = {}
    findings = collections.defaultdict(set)
    loose = []          # findings not tied to one connection
    for o in objs:
        if o.get("type") == "mqtt" and o.get("packet") == "CONNACK" and o.get("conn") not in connack:
            connack[o.get("conn")] = (o.get("connack") or {}).get("code")
        elif o.get("type") == "finding":
            if o.get("conn") is not None:
                findings[o["conn"]].add(o.get("kind"))
            loose.append(o)
    for s in summaries:
        for f in s.get("findings") or []:
            findings[s.get("conn")].add(f.get("kind"))
            loose.append(dict(f, conn=s.get("conn")))
    clients = [o for o in objs if o.get("type") == "client"]

    r = {k: Ratio() for k in ("found", "verdict", "taken_by", "connack", "clients")}
    conf = {k: Confusion() for k in NEW_VERDICTS + ("connack_missing", "storm", "mass_close")}
    t2m = {}
    wrong = []
    for n, t in truth.items():
        s = by_endpoint.get((t.get("client_addr"), int(t.get("client_port", 0))))
        r["found"].add(s is not None)
        if s is None:
            wrong.append("conn%d %s:%s not found" % (n, t.get("client_addr"), t.get("client_port")))
            continue
        t2m[n] = s.get("conn")
        ok = s.get("verdict") == t.get("expected_verdict")
        r["verdict"].add(ok)
        if not ok:
            wrong.append("conn%d (mqttka %s) %s: verdict %s, expected %s" % (
                n, s.get("conn"), t.get("client_port"), s.get("verdict"), t.get("expected_verdict")))
        if t.get("connack_code", "none") not in ("none", "not_received"):
            got = s.get("connack_code", (s.get("connack") or {}).get("code") if isinstance(s.get("connack"), dict)
                        else connack.get(s.get("conn")))
            r["connack"].add(str(got) == t["connack_code"])
    for v in NEW_VERDICTS:
        exp = {n for n, t in truth.items() if t.get("expected_verdict") == v}
        got = {n for n in t2m if by_num[t2m[n]].get("verdict") == v}
        got_all = sum(1 for s in summaries if s.get("verdict") == v)
        conf[v].exp, conf[v].tp = len(exp), len(exp & got)
        conf[v].fp = got_all - len(exp & got)
    # taken_over_by: the mqttka connection that is the truth's taker (number, uid or "addr:port")
    for n, t in truth.items():
        if not t.get("taken_over_by") or n not in t2m:
            if t.get("taken_over_by"):
                r["taken_by"].add(False)
            continue
        taker = int(t["taken_over_by"][4:])
        want = by_num.get(t2m.get(taker))
        got = by_num[t2m[n]].get("taken_over_by")
        if isinstance(got, dict):
            got = got.get("conn", got.get("uid", got.get("client")))
        ok = want is not None and got is not None and (
            got == want.get("conn") or got == want.get("uid") or got == want.get("client"))
        r["taken_by"].add(ok)
    # connack_missing per connection
    exp = {n for n, t in truth.items() if "connack_missing" in t.get("expected_findings", "").split(",")}
    got = {n for n in t2m if "connack_missing" in findings.get(t2m[n], ())}
    got_all = sum(1 for c, ks in findings.items() if "connack_missing" in ks)
    conf["connack_missing"].exp, conf["connack_missing"].tp = len(exp), len(exp & got)
    conf["connack_missing"].fp = got_all - len(exp & got)
    # per client
    for k, c in indexed(facts, "client").items():
        match = None
        for o in clients:
            if c.get("client_id"):
                if o.get("client_id") == c["client_id"]:
                    match = o
            elif not o.get("client_id") and c.get("client_addr") in (o.get("client_addr"), o.get("address"), o.get("addr")):
                match = o
        ok = match is not None and match.get("connections") == int(c["connections"])
        r["clients"].add(ok)
        if not ok and verbose:
            wrong.append("client %s%s: %s connections, expected %s" % (
                c.get("client_id"), c.get("client_addr", ""), match and match.get("connections"), c["connections"]))
    # storms: a reconnect_storm finding naming the id (or address), directly or through its connection
    storms = [f for f in loose if f.get("kind") == "reconnect_storm"]

    def storm_keys(f):
        keys = {f.get("client_id"), f.get("client_addr"), f.get("address")}
        s = by_num.get(f.get("conn"))
        if s is not None:
            keys.add(s.get("client_id"))
            keys.add(split_endpoint(s.get("client"))[0])
        return keys - {None}
    exp_storms = indexed(facts, "storm")
    used = set()
    for k, st in exp_storms.items():
        key = st.get("client_id") or st.get("client_addr")
        hit = [i for i, f in enumerate(storms) if key in storm_keys(f)]
        conf["storm"].exp += 1
        if hit:
            conf["storm"].tp += 1
            used.update(hit)
    conf["storm"].fp = len({json.dumps(sorted(storm_keys(f))) for i, f in enumerate(storms) if i not in used})
    # mass closes: a mass_close finding from the first close of the event to a few seconds after its last
    masses = [f for f in loose if f.get("kind") == "mass_close"]
    used = set()
    for k, m in indexed(facts, "mass_close").items():
        t0 = float(m["first_ts"])
        t1 = t0 + float(m["window_s"])
        hit = [i for i, f in enumerate(masses) if isinstance(f.get("ts"), (int, float)) and t0 - 1 <= f["ts"] <= t1 + 5]
        conf["mass_close"].exp += 1
        if hit:
            conf["mass_close"].tp += 1
            used.update(hit)
    conf["mass_close"].fp = len({round(f.get("ts") or 0) for i, f in enumerate(masses) if i not in used})
    return r, conf, wrong


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = len(args) != len(sys.argv) - 1
    if len(args) < 2:
        sys.stderr.write("usage: check_between.py MQTTKA CAPTURE.pcap... [-v]\n")
        return 2
    mqttka, caps = args[0], args[1:]
    cols = ["capture", "conns", "verdict", "taken_over", "refused", "taken_by", "connack", "connack_miss",
            "clients", "storms", "mass_close"]
    rows = []
    tot_r = collections.defaultdict(Ratio)
    tot_c = collections.defaultdict(Confusion)
    details = []
    for cap in caps:
        if not os.path.exists(cap):
            sys.stderr.write("check_between: %s: no such capture\n" % cap)
            return 2
        r, c, wrong = evaluate(mqttka, cap, verbose)
        for k, v in r.items():
            tot_r[k] += v
        for k, v in c.items():
            tot_c[k] += v
        rows.append([os.path.basename(cap)[:-5], str(r["found"]), str(r["verdict"]), str(c["session_taken_over"]),
                     str(c["connect_refused"]), str(r["taken_by"]), str(r["connack"]), str(c["connack_missing"]),
                     str(r["clients"]), str(c["storm"]), str(c["mass_close"])])
        if verbose and wrong:
            details.append((os.path.basename(cap), wrong))
    rows.append(["TOTAL", str(tot_r["found"]), str(tot_r["verdict"]), str(tot_c["session_taken_over"]),
                 str(tot_c["connect_refused"]), str(tot_r["taken_by"]), str(tot_r["connack"]),
                 str(tot_c["connack_missing"]), str(tot_r["clients"]), str(tot_c["storm"]), str(tot_c["mass_close"])])
    w = [max(len(x[i]) for x in rows + [cols]) for i in range(len(cols))]
    fmt = "  ".join("%%-%ds" % x for x in w)
    print(fmt % tuple(cols))
    for row in rows:
        if row[0] == "TOTAL":
            print("  ".join("-" * x for x in w))
        print(fmt % tuple(row))
    print("\nconns: connections of the truth found in mqttka's summaries (by client address and port);"
          "\nverdict: per-connection verdict equal to the truth's expected_verdict;"
          "\ntaken_over, refused, connack_miss: connections found with session_taken_over, connect_refused,"
          "\n  the connack_missing finding / expected (+N: given to connections the truth does not expect);"
          "\ntaken_by: taken_over_by naming the truth's taker; connack: CONNACK code equal to the truth's;"
          "\nclients: \"type\":\"client\" objects with the truth's connection count / client ids (addresses);"
          "\nstorms, mass_close: expected findings found (+N unexpected).")
    for cap, wrong in details:
        print("\n%s:" % cap)
        for w_ in wrong:
            print("  " + w_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
