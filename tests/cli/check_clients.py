#!/usr/bin/env python3
"""check_clients.py JSONL [FACTS] - the per-client view of one run (issue 14).

Every "type":"client" object is checked against the run's own connection
summaries and finding events: one object per client id (per address for an
empty or unknown id), its connections, verdicts {verdict: count}, findings
{kind: count} (pingresp_rtt aside), first (earliest start), last (latest
end), longest_connection, reconnects (connections - 1), errors, warnings;
the objects come worst first; the fleet's client count and worst clients
agree. With FACTS (samples/NAME.facts, written from the programs' logs),
each client id the scenario used has as many connections as the facts say.
Exits 1 and prints every mismatch."""
import json
import sys
from collections import Counter, defaultdict

errors = []


def fail(msg):
    errors.append(msg)


def close(a, b):
    return a is None and b is None or (a is not None and b is not None and abs(a - b) < 1e-6)


def client_key(summary):
    cid = summary.get("client_id")
    if summary.get("mqtt_version") and cid:
        return ("id", cid[:47])
    host = summary["client"].rsplit(":", 1)[0].strip("[]")
    return ("addr", host)


def main():
    lines = [json.loads(l) for l in open(sys.argv[1])]
    conns = [o for o in lines if o.get("type") == "connection"]
    clients = [o for o in lines if o.get("type") == "client"]
    fleets = [o for o in lines if o.get("type") == "fleet"]
    by_conn = {c["conn"]: client_key(c) for c in conns}
    want = defaultdict(lambda: {"connections": 0, "verdicts": Counter(), "findings": Counter(),
                                "first": None, "last": None, "longest": None,
                                "errors": 0, "warnings": 0})
    for c in conns:
        w = want[client_key(c)]
        w["connections"] += 1
        w["verdicts"][c["verdict"]] += 1
        if c["start"] is not None and (w["first"] is None or c["start"] < w["first"]):
            w["first"] = c["start"]
        if c["end"] is not None and (w["last"] is None or c["end"] > w["last"]):
            w["last"] = c["end"]
        if c["start"] is not None and c["end"] is not None:
            d = round(c["end"] - c["start"], 6)
            if w["longest"] is None or d > w["longest"]:
                w["longest"] = d
    for f in lines:
        if f.get("type") != "finding" or f["kind"] == "pingresp_rtt" or f["conn"] not in by_conn:
            continue
        w = want[by_conn[f["conn"]]]
        w["findings"][f["kind"]] += 1
        if f["severity"] == "error":
            w["errors"] += 1
        elif f["severity"] == "warn":
            w["warnings"] += 1

    untracked = fleets[0]["clients_untracked"] if fleets else 0
    got = {}
    for o in clients:
        k = ("id", o["client_id"]) if o["client_id"] is not None else ("addr", o["client_addr"])
        if (o["client_id"] is None) == (o["client_addr"] is None):
            fail(f"client {k}: exactly one of client_id and client_addr must be set")
        if k in got:
            fail(f"client {k}: two objects")
        got[k] = o
    if untracked == 0 and set(got) != set(want):
        fail(f"clients {sorted(got)} but the summaries have {sorted(want)}")
    if sum(o["connections"] for o in clients) + untracked != len(conns):
        fail(f"{sum(o['connections'] for o in clients)} connections in clients + {untracked}"
             f" untracked != {len(conns)} summaries")
    for k, o in got.items():
        w = want.get(k)
        if w is None:
            fail(f"client {k}: no connection summary has it")
            continue
        for name in ("connections", "errors", "warnings"):
            if o[name] != w[name]:
                fail(f"client {k}: {name} {o[name]}, the summaries/events say {w[name]}")
        if o["reconnects"] != w["connections"] - 1:
            fail(f"client {k}: reconnects {o['reconnects']}, connections {w['connections']}")
        if Counter(o["verdicts"]) != w["verdicts"]:
            fail(f"client {k}: verdicts {o['verdicts']}, the summaries {dict(w['verdicts'])}")
        if Counter(o["findings"]) != w["findings"]:
            fail(f"client {k}: findings {o['findings']}, the events {dict(w['findings'])}")
        for name, key in (("first", "first"), ("last", "last"), ("longest_connection", "longest")):
            if not close(o[name], w[key]):
                fail(f"client {k}: {name} {o[name]}, the summaries {w[key]}")
    # Worst first: errors, warnings, connections (descending).
    order = [(-o["errors"], -o["warnings"], -o["connections"]) for o in clients]
    if order != sorted(order):
        fail("client objects are not worst first")
    if fleets:
        f = fleets[0]
        if f["clients"] != len(clients):
            fail(f"fleet.clients {f['clients']}, {len(clients)} client objects")
        troubled = [o for o in clients if o["errors"] or o["warnings"] or o["connections"] > 1]
        names = [(w["client_id"], w["client_addr"]) for w in f["worst_clients"]]
        if names != [(o["client_id"], o["client_addr"]) for o in troubled[:len(names)]] or \
                len(names) != min(10, len(troubled)):
            fail(f"fleet.worst_clients {names} are not the first troubled clients")

    if len(sys.argv) > 2:
        per_id = Counter()
        for line in open(sys.argv[2]):
            name, _, value = line.strip().partition("=")
            if name.startswith("conn") and name.endswith(".client_id"):
                per_id[value] += 1
            elif name == "client_id":
                per_id[value] += 1
        for cid, n in per_id.items():
            if not cid:
                continue  # an empty id: the client is its address
            o = got.get(("id", cid))
            if o is None or o["connections"] != n:
                fail(f"facts: client id {cid!r} made {n} connections; mqttka's client object says "
                     f"{o and o['connections']}")
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
