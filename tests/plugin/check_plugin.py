#!/usr/bin/env python3
"""Checks of the Wireshark plugin against the CLI (test_*.sh call this).

    check_plugin.py samples TSHARK CLI CAPTURE...
        For each capture, tshark with the plugin and the CLI must agree:
        - MQTT decoded by Wireshark's own dissector without Decode As: the
          set of (frame, MQTT packet type) equals the CLI's mqtt events;
        - the CONNECT keepalives equal the .facts file's keepalive(s);
        - findings: (frame, kind) from `tshark -2` equals the CLI's
          (frame, kind), and from single-pass tshark the CLI's
          (reported_frame, kind): the proof that both feed one core;
        - and what each frame shows of them, in the CLI's order: kind,
          severity, detail, value, and an expert info "kind: detail" of
          the kind's severity (pingresp_rtt is rebuilt by the plugin from
          its PINGRESP: this checks it against the core's own);
        - ping pairs: PINGREQ -> PINGRESP links both ways;
        - verdicts on the closing frame (or the connection's last frame when
          open) with tshark -2, and beside each verdict what the capture
          missed (start_seen, keepalive_inferred, the side not captured,
          an inferred close or PINGREQ); in single pass, on the frame where a
          connection ended, for those the core summarised before the end of
          the capture;
        - the Info column: "[mqttka: kind, ...]" on the frames with a warning
          or an error, in both modes;
        - the statistics tree, in both modes: per connection its MQTT
          packets, PINGREQs, unanswered ones, RTT count/min/max, longest
          client silence, effective keepalive and verdict, in its columns;
          and its accounting of the capture's TCP connections (analysed as
          MQTT, not analysed and why): equal to the CLI's JSON capture
          object with tshark -2; in single pass, where the core has not
          finished, the connections ended so far: no more than the CLI's.

    check_plugin.py derived TSHARK CLI CAPTURE...
        All of the above but what Wireshark's own MQTT dissector decodes
        (and the CONNECT keepalives it shows): for captures cut, lossy or of
        one side, where it cannot follow the WebSocket stream. A connection
        joined late is proven some frames after its first packets, which the
        core then decodes: single-pass tshark counts those packets in the
        statistics tree at the frame where they were decoded.

    check_plugin.py split TSHARK CAPTURE
        An MQTT packet split over WebSocket messages is reassembled: some
        frame carries the start of a CONNECT (mqttka.ws.continues) and
        points to the frame where it is decoded.
"""
import collections, concurrent.futures, json
import os
import re
import subprocess
import sys
import threading

FAILURES = []


SAY = threading.Lock()


def say(text):
    """One line of output, whole, from any of the checking threads."""
    with SAY:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def fail(msg):
    FAILURES.append(msg)
    say("FAIL: " + msg)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr))
    bad = [l for l in r.stderr.splitlines()
           if "Couldn't load plugin" in l or "Dissector bug" in l or "WARNING" in l]
    if bad:
        fail("%s: %s" % (" ".join(cmd[-3:]), "; ".join(bad)))
    return r.stdout


# Separators that no field contains (the details have commas).
SEP, AGG = "\x1e", "\x1f"
FIELDS = ["frame.number", "mqtt.msgtype", "mqtt.kalive", "mqttka.finding", "mqttka.verdict",
          "mqttka.pingresp_in", "mqttka.pingreq_in", "mqttka.severity", "mqttka.detail",
          "mqttka.value", "_ws.expert.message", "_ws.expert.severity", "mqttka.start_seen",
          "mqttka.keepalive_inferred", "mqttka.missing_side", "mqttka.close_inferred",
          "mqttka.pingreq_inferred"]
# Wireshark's PI_NOTE, PI_WARN, PI_ERROR
EXPERT_SEVERITY = {"info": "4194304", "warn": "6291456", "error": "8388608"}


def info_in_fields():
    """Whether the fields run can give the Info column as tshark prints it:
    before Wireshark 4.2 the field _ws.col.Info is the printed column, whole;
    from 4.2 on the field _ws.col.info is taken before the postdissectors
    run (it lacks what they append), so the column needs a run of its own
    (each tshark start costs most of a second: four a capture, or two)."""
    try:
        major, minor = (int(x) for x in os.environ["MQTTKA_WS_VERSION"].split(".")[:2])
    except (KeyError, ValueError):
        return False
    return (major, minor) < (4, 2)


def tshark_pass(tshark, pcap, two_pass):
    """tshark -2 or single pass: a run with the fields and the statistics
    tree, and the Info column in it or in a run of its own (info_in_fields);
    returns (rows, findings, tree):
      rows: frame -> {field: [values]}, and "info": the Info column, whole;
      findings: frame -> ([(kind, severity, detail)], [value],
                          [(expert message, severity)]), frames with findings;
      tree: the statistics tree (stats_tree)."""
    cmd = [tshark, "-n", "-r", pcap] + (["-2"] if two_pass else [])
    cmd_fields = cmd + ["-z", "mqttka,tree", "-T", "fields", "-E", "separator=" + SEP,
                        "-E", "occurrence=a", "-E", "aggregator=" + AGG]
    info_field = info_in_fields()
    fields = FIELDS + (["_ws.col.Info"] if info_field else [])
    for f in fields:
        cmd_fields += ["-e", f]
    lines = run(cmd_fields).split("\n")  # (splitlines() splits at SEP too)
    rows, findings = {}, {}
    i = 0
    while i < len(lines) and not lines[i].startswith("=" * 10):
        line = lines[i]
        i += 1
        if not line:
            continue
        cols = (line.split(SEP) + [""] * len(fields))[:len(fields)]
        row = {f: c.split(AGG) if c else [] for f, c in zip(FIELDS, cols)}
        row["info"] = cols[-1] if info_field else ""
        n = int(cols[0])
        rows[n] = row
        kind, sev, detail = row["mqttka.finding"], row["mqttka.severity"], row["mqttka.detail"]
        if kind:
            if not (len(kind) == len(sev) == len(detail)):
                fail("%s frame %d: %d findings, %d severities, %d details"
                     % (pcap, n, len(kind), len(sev), len(detail)))
            findings[n] = (list(zip(kind, sev, detail)), [float(v) for v in row["mqttka.value"]],
                           list(zip(row["_ws.expert.message"], row["_ws.expert.severity"])))
    tree = stats_tree(pcap, lines[i:])
    if info_field:
        return rows, findings, tree
    for line in run(cmd + ["-o", 'gui.column.format:"No.","%m","Info","%i"']).split("\n"):
        m = re.match(r"^ *(\d+) (.*)$", line)
        if m and int(m.group(1)) in rows:
            rows[int(m.group(1))]["info"] = m.group(2)
    return rows, findings, tree


INFO_TAG = re.compile(r" \[mqttka: ([a-z0-9_, ]+)\]")


def info_tags(rows):
    """frame -> the kinds in its Info column's "[mqttka: ...]" tag."""
    tags = {}
    for n, r in rows.items():
        found = INFO_TAG.findall(r["info"])
        if len(found) > 1:
            fail("frame %d: %d [mqttka: ...] tags in its Info column: %r" % (n, len(found), r["info"]))
        if found:
            tags[n] = found[0].split(", ")
    return tags


def cli_events(cli, pcap):
    out = run([cli, "--json", "-r", pcap])
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def facts_keepalives(pcap):
    path = os.path.splitext(pcap)[0] + ".facts"
    if not os.path.exists(path):
        return None
    kas = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"^(?:conn\d+\.)?keepalive=(\d+)\s*$", line)
            if m:
                kas.add(m.group(1))
    return kas or None


def check_summaries(name, ev, two, last_frame):
    """Verdicts on the closing frame (tshark -2), and beside each what the
    capture missed; returns the CLI's connection records."""
    conns = [e for e in ev if e["type"] == "connection"]
    cli_v = {((e.get("close") or {}).get("frame") or e.get("last_frame") or last_frame, e["verdict"])
             for e in conns}
    ws_v = {(n, v) for n, r in two.items() for v in r["mqttka.verdict"]}
    if cli_v != ws_v:
        fail("%s: verdicts differ: CLI %s, tshark %s" % (name, sorted(cli_v), sorted(ws_v)))

    # What the capture missed, beside each verdict: per closing frame, the
    # connections' start_seen, inferred keepalives, missing sides and
    # inferred closes, as the CLI's JSON has them.
    def missed(start_seen, ka, one_sided, close_inferred, pingreq_inferred):
        return (tuple(sorted(start_seen)), tuple(sorted(ka)), tuple(sorted(one_sided)),
                close_inferred, pingreq_inferred)
    cli_m = collections.defaultdict(lambda: ([], [], [], 0, 0))
    for e in conns:
        n = (e.get("close") or {}).get("frame") or e.get("last_frame") or last_frame
        m = cli_m[n]
        m[0].append("1" if e.get("start_seen", True) else "0")
        if e.get("keepalive_inferred") is not None:
            m[1].append(str(e["keepalive_inferred"]))
        if e.get("one_sided"):   # "server_missing" in JSON, "server" in the plugin
            m[2].append(e["one_sided"].split("_")[0])
        cli_m[n] = (m[0], m[1], m[2], m[3] + (1 if (e.get("close") or {}).get("inferred") else 0),
                    m[4] + (1 if e.get("pingreq_inferred") else 0))
    cli_m = {n: missed(*m) for n, m in cli_m.items()}

    # "mqttka.keepalive_inferred" names both the summary's field and the
    # keepalive_inferred finding's expert info, which tshark prints as 1:
    # one 1 less for each such finding in the frame (the inference made on
    # a connection's last frame, where its summary is).
    def summary_kas(r):
        kas = list(r["mqttka.keepalive_inferred"])
        for kind in r["mqttka.finding"]:
            if kind == "keepalive_inferred" and "1" in kas:
                kas.remove("1")
        return kas
    # (tshark prints a boolean as 1 or 0 before Wireshark 4.2, True or False since)
    ws_m = {n: missed(["1" if v in ("1", "True") else "0" for v in r["mqttka.start_seen"]],
                      summary_kas(r), r["mqttka.missing_side"],
                      len(r["mqttka.close_inferred"]), len(r["mqttka.pingreq_inferred"]))
            for n, r in two.items() if r["mqttka.verdict"]}
    if cli_m != ws_m:
        fail("%s: start_seen, keepalive_inferred, missing side, close_inferred or pingreq_inferred differ: CLI %s, "
             "tshark %s" % (name, sorted(cli_m.items()), sorted(ws_m.items())))
    return conns


def check_sample(tshark, cli, pcap, wireshark_follows=True):
    """Everything the module docstring lists; wireshark_follows=False for
    captures whose MQTT Wireshark's own dissector cannot follow (cut,
    one-sided): all but its packets and the CONNECT keepalives."""
    name = os.path.basename(pcap)
    ev = cli_events(cli, pcap)
    two, two_findings, two_tree = tshark_pass(tshark, pcap, True)
    one, one_findings, one_tree = tshark_pass(tshark, pcap, False)
    last_frame = max(two) if two else 0

    # MQTT decoded by Wireshark's dissector, packet for packet like the core.
    cli_pkts = {(e["frame"], str(e["packet_type"])) for e in ev if e["type"] == "mqtt"}
    ws_pkts = {(n, t) for n, r in two.items() for t in r["mqtt.msgtype"]}
    if wireshark_follows and cli_pkts != ws_pkts:
        fail("%s: MQTT packets differ: only CLI %s, only tshark %s"
             % (name, sorted(cli_pkts - ws_pkts)[:8], sorted(ws_pkts - cli_pkts)[:8]))

    kas = facts_keepalives(pcap) if wireshark_follows else None
    if kas is not None:
        got = {k for r in two.values() for k in r["mqtt.kalive"]}
        if got != kas:
            fail("%s: CONNECT keepalive %s, facts say %s" % (name, sorted(got), sorted(kas)))

    # Findings: the proof of one shared core.
    finds = [e for e in ev if e["type"] == "finding"]
    cli_tag = {(e["frame"] or last_frame, e["kind"]) for e in finds}
    ws_tag = {(n, k) for n, r in two.items() for k in r["mqttka.finding"]}
    if cli_tag != ws_tag:
        fail("%s: findings (tshark -2) differ: only CLI %s, only tshark %s"
             % (name, sorted(cli_tag - ws_tag), sorted(ws_tag - cli_tag)))
    cli_rep = {(e["reported_frame"], e["kind"]) for e in finds if e.get("reported_frame")}
    ws_rep = {(n, k) for n, r in one.items() for k in r["mqttka.finding"]}
    if cli_rep != ws_rep:
        fail("%s: findings (single pass) differ: only CLI %s, only tshark %s"
             % (name, sorted(cli_rep - ws_rep), sorted(ws_rep - cli_rep)))

    # What each frame shows of its findings, in the core's order.
    for two_pass in (True, False):
        shown = two_findings if two_pass else one_findings
        want = {}
        for e in finds:
            n = (e["frame"] or last_frame) if two_pass else e.get("reported_frame")
            if n:
                want.setdefault(n, []).append(e)
        mode = "tshark -2" if two_pass else "single pass"

        # The Info column: "[mqttka: kind, ...]", each kind of warning or
        # error on the frame once, in the core's order; no tag elsewhere.
        want_tags = {}
        for n, es in want.items():
            kinds = []
            for e in es:
                if e["severity"] in ("warn", "error") and e["kind"] not in kinds:
                    kinds.append(e["kind"])
            if kinds:
                want_tags[n] = kinds
        got_tags = info_tags(two if two_pass else one)
        if got_tags != want_tags:
            fail("%s (%s): Info column tags %s, expected %s"
                 % (name, mode, sorted(got_tags.items()), sorted(want_tags.items())))
        for n in sorted(set(want) | set(shown)):
            es = want.get(n, [])
            got, values, experts = shown.get(n, ([], [], []))
            exp = [(e["kind"], e["severity"], e["detail"]) for e in es]
            if got != exp:
                fail("%s frame %d (%s): findings %s, CLI %s" % (name, n, mode, got, exp))
                continue
            exp_values = [float(e["value"]) for e in es if "value" in e]
            if len(values) != len(exp_values) or any(
                    # the CLI writes at most 6 decimals (cli/format.h): equal to its rounding
                    abs(a - b) > 5e-7 + 1e-9 * max(1.0, abs(b)) for a, b in zip(values, exp_values)):
                fail("%s frame %d (%s): values %s, CLI %s" % (name, n, mode, values, exp_values))
            kinds = {e["kind"] for e in es}
            ours = [(m, sv) for m, sv in experts if m.split(": ", 1)[0] in kinds]
            exp_experts = [("%s: %s" % (e["kind"], e["detail"]), EXPERT_SEVERITY[e["severity"]])
                           for e in es]
            if ours != exp_experts:
                fail("%s frame %d (%s): expert infos %s, expected %s"
                     % (name, n, mode, ours, exp_experts))

    # Ping pairs, both directions.
    for e in ev:
        if e["type"] == "mqtt" and e.get("pingreq_frame"):
            req, resp = e["pingreq_frame"], e["frame"]
            if str(resp) not in two.get(req, {}).get("mqttka.pingresp_in", []):
                fail("%s: PINGREQ frame %d lacks mqttka.pingresp_in == %d" % (name, req, resp))
            if str(req) not in two.get(resp, {}).get("mqttka.pingreq_in", []):
                fail("%s: PINGRESP frame %d lacks mqttka.pingreq_in == %d" % (name, resp, req))

    conns = check_summaries(name, ev, two, last_frame)

    # Single pass: a connection the core summarised during the capture (it
    # ended: closed both ways, reset) shows its verdict on the frame where
    # it ended, its last; the others are summarised only at the end of the
    # capture, after the last frame was shown. The CLI prints events as the
    # core emits them: a summary followed by an event of some frame was
    # emitted during the capture, so it must be shown; no verdict may be
    # shown other than the CLI's, on the connection's last frame.
    cli_v1 = {(e["last_frame"], e["verdict"]) for e in conns}
    ws_v1 = {(n, v) for n, r in one.items() for v in r["mqttka.verdict"]}
    during = []
    for i, e in enumerate(ev):
        if e["type"] == "connection" and any(
                x.get("reported_frame") if x["type"] == "finding" else x.get("frame")
                for x in ev[i + 1:] if x["type"] != "connection"):
            during.append(e)
    must = {(e["last_frame"], e["verdict"]) for e in during}
    if not must <= ws_v1 <= cli_v1:
        fail("%s: verdicts (single pass) %s; CLI %s, of which summarised during the capture %s"
             % (name, sorted(ws_v1), sorted(cli_v1), sorted(must)))
    ended = [e for e in conns if (e["last_frame"], e["verdict"]) in ws_v1]

    check_stats(two_tree, one_tree, name, ev, conns, ended)
    check_accounting(two_tree, one_tree, name, ev)

    say("%s: %d MQTT packets, %d findings, %d connections (single pass: %d verdicts, %d due)"
          " agree" % (name, len(cli_pkts), len(cli_tag), len(conns), len(ended), len(must)))


def stats_tree(pcap, lines):
    """The statistics tree in tshark's text: {path: {column: text}}, path a
    tuple of item names from the top, the columns as the header names them."""
    head = next((l for l in lines if l.startswith("Topic / Item")), None)
    if head is None:
        fail("%s: no statistics tree in %r" % (pcap, "\n".join(lines)[:200]))
        return {}
    # Each column's text starts where its name starts in the header.
    names = re.findall(r"\S+(?: \S+)*", head)
    starts = [head.index(n) for n in names]
    tree, path = {}, []
    for line in lines[lines.index(head) + 2:]:
        if not line.strip() or line.startswith("---") or line.startswith("==="):
            continue
        depth = len(line) - len(line.lstrip(" "))
        item = line[:starts[1]].strip()
        cols = {n: line[a:b].strip() for n, a, b in
                zip(names[1:], starts[1:], starts[2:] + [len(line)])}
        path = path[:depth] + [item]
        tree[tuple(path)] = cols
    return tree


def close_to(text, want, tol):
    try:
        return abs(float(text) - want) <= tol
    except (TypeError, ValueError):
        return False


def check_stats(two_tree, one_tree, name, ev, conns, closed):
    """The statistics tree, tshark -2 and single pass, against the CLI: the
    figures in its columns, per connection. `closed`: the connections
    summarised on a frame in single pass."""
    packets = {}
    for e in ev:
        if e["type"] == "mqtt":
            packets[e["conn"]] = packets.get(e["conn"], 0) + 1
    for two_pass in (True, False):
        mode = "tshark -2" if two_pass else "single pass"
        tree = two_tree if two_pass else one_tree
        top = "MQTT packets by connection"
        total = sum(packets.values())
        if total and tree.get((top,), {}).get("Count") != str(total):
            fail("%s (%s): stats %r count %s, CLI %d MQTT packets"
                 % (name, mode, top, tree.get((top,), {}).get("Count"), total))
        nodes = {int(p[1].split(" ")[0][1:]): p[1] for p in tree if len(p) == 2 and p[0] == top}
        # tshark -2: every connection; single pass: those with MQTT packets
        # and those that ended.
        want_conns = conns if two_pass else [e for e in conns if e["conn"] in packets or e in closed]
        if sorted(nodes) != sorted(e["conn"] for e in want_conns):
            fail("%s (%s): stats tree connections %s, expected %s"
                 % (name, mode, sorted(nodes), sorted(e["conn"] for e in want_conns)))
            continue
        verdicts = {}
        for e in want_conns:
            node = (top, nodes[e["conn"]])
            def col(item, column, sub=None):
                path = node + ((item,) if sub is None else (item, sub))
                return tree.get(path, {}).get(column)
            what = "%s (%s) conn %d" % (name, mode, e["conn"])
            if tree[node].get("Count") != str(packets.get(e["conn"], 0)):
                fail("%s: %s MQTT packets, CLI %d"
                     % (what, tree[node].get("Count"), packets.get(e["conn"], 0)))
            pingreq = e["pingreq"] if e["pingreq"] or e in closed or two_pass else None
            if pingreq is not None and col("PINGREQ", "Count") != str(pingreq):
                fail("%s: PINGREQ count %s, CLI %d" % (what, col("PINGREQ", "Count"), pingreq))
            # The CLI's RTTs are seconds (rtt_s); the plugin's column, ms.
            rtt = {k: (v * 1000 if k != "count" else v) for k, v in (e.get("rtt_s") or {}).items()}
            if rtt.get("count"):
                if col("Ping RTT (ms)", "Count") != str(rtt["count"]) or \
                        not close_to(col("Ping RTT (ms)", "Min Val"), rtt["min"], 0.0015) or \
                        not close_to(col("Ping RTT (ms)", "Max Val"), rtt["max"], 0.0015):
                    fail("%s: Ping RTT (ms) %s, CLI %s"
                         % (what, tree.get(node + ("Ping RTT (ms)",)), rtt))
            elif col("Ping RTT (ms)", "Count") is not None:
                fail("%s: Ping RTT (ms) without ping pairs" % what)
            if not two_pass and e not in closed:
                if any(p[:2] == node and p[2].startswith("Verdict: ") for p in tree if len(p) > 2):
                    fail("%s: a verdict for a connection still open" % what)
                continue
            verdicts[e["verdict"]] = verdicts.get(e["verdict"], 0) + 1
            if col("Verdict: " + e["verdict"], "Count") != "1":
                fail("%s: no 'Verdict: %s' item" % (what, e["verdict"]))
            if col("PINGREQ", "Count", "unanswered") != str(e["pingreq_unanswered"]):
                fail("%s: unanswered %s, CLI %d"
                     % (what, col("PINGREQ", "Count", "unanswered"), e["pingreq_unanswered"]))
            if e.get("max_client_silence") is not None and not close_to(
                    col("Longest client silence (s)", "Max Val"), e["max_client_silence"],
                    2e-6 * max(1.0, e["max_client_silence"])):
                fail("%s: longest client silence %s, CLI %s"
                     % (what, col("Longest client silence (s)", "Max Val"),
                        e["max_client_silence"]))
            if e.get("effective_keepalive") is not None and \
                    col("Effective keepalive (s)", "Min Val") != str(e["effective_keepalive"]):
                fail("%s: effective keepalive %s, CLI %s"
                     % (what, col("Effective keepalive (s)", "Min Val"), e["effective_keepalive"]))
        got = {p[1]: int(c["Count"]) for p, c in tree.items() if len(p) == 2 and p[0] == "Verdicts"}
        if got != verdicts:
            fail("%s (%s): stats tree verdicts %s, CLI %s" % (name, mode, got, verdicts))
        # The per-client view: each client's summarised connections and their
        # verdicts, as the CLI's "client" objects key them.
        clients = {}
        for e in want_conns:
            if not two_pass and e not in closed:
                continue
            key = '"%s"' % e["client_id"] if e.get("client_id") else e["client"].rsplit(":", 1)[0]
            per = clients.setdefault(key, {"n": 0})
            per["n"] += 1
            per["Verdict: " + e["verdict"]] = per.get("Verdict: " + e["verdict"], 0) + 1
        top_c = "Connections by client"
        got_c = {}
        for p, c in tree.items():
            if len(p) >= 2 and p[0] == top_c:
                per = got_c.setdefault(p[1], {})
                per["n" if len(p) == 2 else p[2]] = int(c["Count"])
        if got_c != clients:
            fail("%s (%s): stats tree clients %s, CLI %s" % (name, mode, got_c, clients))


# The statistics tree's accounting of the capture's TCP connections
# (mqttka-stats.c): final on revisits, the connections ended so far in
# single pass.
ACCOUNT_FINAL = "TCP connections"
ACCOUNT_SO_FAR = "TCP connections ended so far (open ones not yet counted)"


def tree_accounting(tree, top):
    """{"tcp": n, "mqtt": n, "not_analysed": n, "reasons": {name: n}} from the
    tree's node `top`, None when it has none."""
    if (top,) not in tree:
        return None
    def count(*path):
        c = tree.get((top,) + path, {}).get("Count")
        return int(c) if c is not None else None
    return {"tcp": count(), "mqtt": count("analysed as MQTT"),
            "not_analysed": count("not analysed"),
            "reasons": {p[2]: int(c["Count"]) for p, c in tree.items()
                        if len(p) == 3 and p[:2] == (top, "not analysed")}}


def check_accounting(two_tree, one_tree, name, ev):
    """The tree's accounting against the CLI's JSON capture object: equal
    with tshark -2; in single pass (the core not finished) no more than it,
    every count, and adding up."""
    caps = [e for e in ev if e["type"] == "capture"]
    if len(caps) != 1:
        fail("%s: %d capture objects in the CLI's JSON" % (name, len(caps)))
        return
    cap = caps[0]
    want = {"tcp": cap["tcp_connections"], "mqtt": cap["mqtt_connections"],
            "not_analysed": sum(cap["not_analysed"].values()),
            "reasons": {r: n for r, n in cap["not_analysed"].items() if n}}
    got = tree_accounting(two_tree, ACCOUNT_FINAL)
    if got != want:
        fail("%s (tshark -2): stats tree accounting %s, CLI %s" % (name, got, want))
    if (ACCOUNT_SO_FAR,) in two_tree:
        fail("%s (tshark -2): stats tree %r" % (name, ACCOUNT_SO_FAR))
    if (ACCOUNT_FINAL,) in one_tree:
        fail("%s (single pass): stats tree %r, final counts before the end" % (name, ACCOUNT_FINAL))
    one = tree_accounting(one_tree, ACCOUNT_SO_FAR)
    if one is None:
        fail("%s (single pass): no %r in the stats tree" % (name, ACCOUNT_SO_FAR))
        return
    if one["mqtt"] is None or one["not_analysed"] is None or \
            one["tcp"] != one["mqtt"] + one["not_analysed"] or \
            one["not_analysed"] != sum(one["reasons"].values()) or \
            any(one[k] > want[k] for k in ("tcp", "mqtt", "not_analysed")) or \
            any(n > want["reasons"].get(r, 0) for r, n in one["reasons"].items()):
        fail("%s (single pass): stats tree accounting %s, CLI at the end %s" % (name, one, want))


def check_split(tshark, pcap):
    name = os.path.basename(pcap)
    out = run([tshark, "-n", "-r", pcap, "-2", "-T", "fields", "-E", "occurrence=a",
               "-E", "aggregator=,", "-e", "frame.number", "-e", "mqttka.ws.continues",
               "-e", "mqttka.ws.reassembled_in", "-e", "mqtt.msgtype"])
    rows = {}
    for line in out.splitlines():
        n, cont, where, types = (line.split("\t") + ["", "", ""])[:4]
        rows[int(n)] = (cont, where, types.split(",") if types else [])
    split = [(n, int(w.split(",")[0])) for n, (c, w, _) in rows.items() if c and w]
    connect_frames = [n for n, (_, _, t) in rows.items() if "1" in t]
    if not connect_frames:
        fail("%s: no MQTT CONNECT decoded" % name)
        return
    if not any(w == connect_frames[0] for _, w in split):
        fail("%s: no WebSocket message points to the CONNECT in frame %d (split: %s)"
             % (name, connect_frames[0], split))
    later = [n for n, (_, _, t) in rows.items() if t and n > connect_frames[0]]
    if not later:
        fail("%s: nothing decoded after the split CONNECT" % name)
    print("%s: CONNECT in frame %d reassembled from %s; %d MQTT frames after it"
          % (name, connect_frames[0], [n for n, w in split if w == connect_frames[0]], len(later)))


def main():
    cmd = sys.argv[1]
    if cmd in ("samples", "derived"):
        tshark, cli = sys.argv[2], sys.argv[3]

        def one(pcap):
            try:
                check_sample(tshark, cli, pcap, wireshark_follows=cmd == "samples")
            except RuntimeError as e:
                fail(str(e))
        # Each capture is checked on its own, mostly waiting for tshark to
        # start: as many at once as there are processors.
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(one, sys.argv[4:]))
    elif cmd == "split":
        for pcap in sys.argv[3:]:
            check_split(sys.argv[2], pcap)
    else:
        print(__doc__)
        return 2
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
