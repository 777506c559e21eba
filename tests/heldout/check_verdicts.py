#!/usr/bin/env python3
"""Verdict precision on the held-out real-traffic captures (issue 18).

    tests/heldout/check_verdicts.py MQTTKA HELDOUT_DIR WINDOWS_TSV [--derived] [-v]

Runs `MQTTKA --json -r` on every HELDOUT_DIR/*.pcap (with --derived: HELDOUT_DIR/derived/*.pcap)
and checks each connection of the truth (the .facts beside the capture, written by
make-verdicts.sh from the clients' and the broker's logs, never from mqttka; see README.md),
matched by client port, against these rules:

 1. the connection is reported, and its verdict is the truth's expected_verdict. Derived
    captures (issue 13's cuts, lost frames, one direction): a verdict that names a cause must be
    one of verdicts_consistent; a verdict that only says who closed and how (MECHANISM_VERDICTS)
    claims no cause, and a connection left unreported claims nothing (both are issue 13's
    accounting, measured by evaluate.py), so neither fails here;
 2. the verdict states facts only: verdict_detail names no client library;
 3. a close_matches_ping_timeout finding never names more than one client library;
 4. where the truth says a library's ping timeout closed the connection (true_cause
    ping_timeout_*: the client's own log), a finding naming another library is wrong;
 5. where that timeout fired on the library's own timer (ping_timeout_broker_frozen: nothing
    answered the PINGREQ; not a stall, whose close comes when the process resumes), with the
    time from the PINGREQ to the close taken from the client's log, the windows of WINDOWS_TSV
    (docs/ping-timeouts.md) for the connection's keepalive and close (a bare FIN/RST, or a
    DISCONNECT first) decide:
    - inside the library's window and no other library's: a finding naming the library;
    - inside the windows of two or more libraries: the close singles out none, so no finding
      names a library;
    - outside the library's own window: no finding naming it;
    "inside" and "outside" keep MARGIN_S from a window's edges (the client's log and the wire
    differ by scheduling delays); in between nothing is asserted;
 6. a capture whose truth has no MQTT (non-MQTT classes) gets no MQTT connection.
A close_matches_ping_timeout finding on a connection whose truth is not a ping timeout (a random
exit, a DISCONNECT) breaks no rule (the finding says "possible"), but it counts against the
finding's precision in the table.

A library is "named" in a text when one of FAMILIES' patterns matches it, or when a finding
carries a `library` member (a string or a list) naming it by the ids of WINDOWS_TSV.

Prints the table per scenario class, per verdict (precision = right/reported as that verdict,
recall = right/truth of that verdict) and for the finding, then every failed rule, one a line.
Exit 0 if no rule failed, 1 if one did, 2 on bad usage or when there is no capture to check.
"""
import collections
import glob
import json
import os
import re
import subprocess
import sys

FINDING = "close_matches_ping_timeout"
MARGIN_S = 0.020
PING_TIMEOUT_CAUSES = ("ping_timeout_after_stall", "ping_timeout_broker_frozen")
TIMER_CAUSES = ("ping_timeout_broker_frozen",)
MECHANISM_VERDICTS = ("client_closed", "server_closed", "reset", "open", "ws_close")

# How a library is recognised in a text: its family id -> a case-insensitive pattern.
FAMILIES = {
    "paho-python": r"paho[\s._-]*(mqtt[\s._-]*)?py(thon)?\b",
    "libmosquitto": r"libmosquitto|mosquitto_(sub|pub|rr)\b",
    "mqttjs": r"\bmqtt[\s.]?js\b",
    "paho-golang": r"paho[\s._-]*(mqtt[\s._-]*)?go(lang)?\b",
    "paho-c": r"paho[\s._-]*(mqtt[\s._-]*)?c\b(?![+#])|paho[\s._-]*(mqtt[\s._-]*)?(cpp|c\+\+|rust)\b",
    "paho-java": r"paho[\s._-]*(mqtt[\s._-]*)?java|paho[\s._-]*android",
    "hivemq": r"hivemq",
}
# The truth's `client` key -> family id.
CLIENT_FAMILY = {"paho-python": "paho-python", "mqtt.js": "mqttjs", "mosquitto_sub": "libmosquitto",
                 "libmosquitto": "libmosquitto", "paho-golang": "paho-golang", "paho-c": "paho-c"}


def read_facts(path):
    """(capture keys, [per-connection dicts with the capture keys folded in], versions)."""
    g, conns, versions = {}, collections.defaultdict(dict), {}
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"# generated .*?;(.*)$", line)
        if m:   # "# generated DATE; mosquitto 2.0.11, paho-python 1.6.1, MQTT.js 5.16.0"
            for part in m.group(1).split(","):
                w = part.split()
                if len(w) == 2:
                    versions[w[0].lower()] = w[1]
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        if k.startswith("conn") and "." in k and k[4:k.index(".")].isdigit():
            conns[int(k[4:k.index(".")])][k[k.index(".") + 1:]] = v
        else:
            g[k] = v
    out = []
    for n in sorted(conns):
        c = dict(g)
        c.update(conns[n])
        out.append(c)
    return g, out, versions


def read_windows(path):
    """WINDOWS_TSV rows: id family versions close ka_min ka_max lo_ka lo_s hi_ka hi_s ..."""
    rows = []
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        if f[0] == "id":
            continue
        rows.append({"id": f[0], "family": f[1], "versions": f[2], "close": f[3], "ka_min": float(f[4]),
                     "ka_max": float(f[5]), "lo_ka": float(f[6]), "lo_s": float(f[7]), "hi_ka": float(f[8]),
                     "hi_s": float(f[9])})
    if not rows:
        raise ValueError("no window in " + path)
    return rows


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def version_in(version, spec):
    """spec: 'all', '>=5.6', '<5.6', '4.0-5.5.4', or a comma list of those."""
    if not version:
        return True
    v = version_tuple(version)
    for s in spec.split(","):
        s = s.strip()
        if s == "all":
            return True
        if s.startswith(">=") and v >= version_tuple(s[2:]):
            return True
        if s.startswith("<") and v < version_tuple(s[1:]):
            return True
        if "-" in s:
            lo, hi = s.split("-", 1)
            if version_tuple(lo) <= v <= version_tuple(hi) + (99,) * (3 - len(version_tuple(hi))):
                return True
    return False


def windows_for(rows, ka, close, family=None, version=None):
    """[(id, family, lo, hi)] of the windows that apply to keepalive ka and a close ("bare" or
    "disconnect") (and to family/version)."""
    out = []
    for r in rows:
        if not (r["ka_min"] <= ka <= r["ka_max"]) or r["close"] != close:
            continue
        if family and r["family"] != family:
            continue
        if family and version and not version_in(version, r["versions"]):
            continue
        out.append((r["id"], r["family"], r["lo_ka"] * ka + r["lo_s"], r["hi_ka"] * ka + r["hi_s"]))
    return out


def named(text, finding=None):
    """The library families a text (and a finding's `library` member) names."""
    fams = set()
    for fam, pat in FAMILIES.items():
        if text and re.search(pat, text, re.I):
            fams.add(fam)
    lib = (finding or {}).get("library")
    for x in ([lib] if isinstance(lib, str) else (lib or [])):
        for fam in FAMILIES:
            if str(x).lower().startswith(fam):
                fams.add(fam)
    return fams


def run_mqttka(binary, pcap):
    p = subprocess.run([binary, "--json", "-r", pcap], capture_output=True, text=True)
    conns = []
    for line in p.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") == "connection":
            conns.append(o)
    err = None if p.returncode in (0, 1) else "exit %d: %s" % (p.returncode, p.stderr.strip()[:200])
    return conns, err


def port_of(endpoint):
    try:
        return int(str(endpoint).rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def is_mqtt_report(c):
    pk = c.get("packets") or {}
    return c.get("mqtt_version") is not None or bool(pk.get("c2s")) or bool(pk.get("s2c"))


def truth_delay(t):
    """Seconds from the PINGREQ before the close to the close, from the client's log."""
    for k in ("pingreq_to_close_s", "last_pingreq_to_close_s"):
        if t.get(k, "") not in ("", "unknown"):
            return float(t[k])
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    derived = "--derived" in sys.argv
    verbose = "-v" in sys.argv
    if len(args) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    binary, heldout, wpath = args
    windows = read_windows(wpath)
    caps = sorted(glob.glob(os.path.join(heldout, "derived" if derived else "", "*.pcap")))
    if not caps:
        print("no held-out capture in %s%s" % (heldout, "/derived" if derived else ""), file=sys.stderr)
        return 2

    fails, notes = [], []
    per_class = collections.defaultdict(collections.Counter)
    confusion = collections.Counter()
    fstat = collections.Counter()
    for cap in caps:
        name = os.path.basename(cap)
        facts = cap[:-5] + ".facts"
        if not os.path.exists(facts):
            fails.append("%s: no .facts beside it" % name)
            continue
        g, truth, versions = read_facts(facts)
        cls = g.get("class", "?")
        conns, err = run_mqttka(binary, cap)
        if err:
            fails.append("%s: mqttka %s" % (name, err))
            continue
        if g.get("expected_verdict") == "none":   # rule 6
            rep = [c for c in conns if is_mqtt_report(c)]
            per_class[cls]["conns"] += int(g.get("connections", 0) or 0)
            per_class[cls]["verdict_ok"] += int(g.get("connections", 0) or 0) if not rep else 0
            per_class[cls]["no_mqtt"] = 1
            for c in rep:
                fails.append("%s %s: an MQTT connection (verdict %s) in a capture with no MQTT" % (name, c.get("client"), c.get("verdict")))
            continue
        by_port = {port_of(c.get("client")): c for c in conns}
        for t in truth:
            if "exclude" in t:
                notes.append("%s port %s left out by the truth: %s" % (name, t.get("client_port"), t["exclude"]))
                continue
            port = int(t["client_port"])
            where = "%s port %d" % (name, port)
            exp = t.get("expected_verdict", "?")
            consistent = set(t.get("verdicts_consistent", exp).split(","))
            pc = per_class[cls]
            pc["conns"] += 1
            r = by_port.get(port)
            got = r.get("verdict") if r else "(not reported)"
            confusion[(exp, got)] += 1
            if r is None:   # rule 1
                if not derived:
                    fails.append("%s: not reported (truth %s)" % (where, exp))
                continue
            detail = r.get("verdict_detail") or ""
            ok = (got in consistent or got in MECHANISM_VERDICTS) if derived else (got == exp)
            pc["verdict_ok"] += ok
            if not ok:
                fails.append("%s: verdict %s, truth %s%s  [%s]" % (where, got, exp,
                             " (consistent: %s)" % ",".join(sorted(consistent)) if derived else "", detail))
            libs = named(detail)   # rule 2
            pc["detail_clean"] += not libs
            if libs:
                fails.append("%s: the verdict names %s  [%s]" % (where, ", ".join(sorted(libs)), detail))
            found = [f for f in r.get("findings", []) if f.get("kind") == FINDING]
            found_fams = []
            for f in found:   # rule 3
                fams = named(f.get("detail") or "", f)
                found_fams.append(fams)
                if len(fams) > 1:
                    fails.append("%s: %s names %d libraries (%s)  [%s]" % (where, FINDING, len(fams),
                                 ", ".join(sorted(fams)), f.get("detail")))
            all_named = set().union(*found_fams) if found_fams else set()
            cause = t.get("true_cause", "")
            fam = CLIENT_FAMILY.get(t.get("client", "").lower())
            if found:
                pc["finding"] += 1
            if cause not in PING_TIMEOUT_CAUSES or fam is None:
                if found:
                    fstat["on_other_cause"] += 1
                    notes.append("%s: %s on a connection whose truth is %s (%s)  [%s]" % (where, FINDING, cause or exp,
                                 t.get("client", "?"), "; ".join(f.get("detail") or "" for f in found)))
                continue
            # rule 4: the truth is this library's ping timeout
            fstat["timeouts"] += 1
            ka = float(t.get("effective_keepalive") or t.get("keepalive") or 0)
            d = truth_delay(t)
            version = versions.get(t.get("client", "").lower())
            close = "disconnect" if t.get("close_how") == "disconnect" else "bare"
            own = windows_for(windows, ka, close, fam, version)
            others = [w for w in windows_for(windows, ka, close) if w[1] != fam]
            wrong = all_named - {fam}
            if wrong:
                fstat["wrong_library"] += 1
                fails.append("%s: %s names %s; the truth is a %s ping timeout  [%s]" % (where, FINDING, ", ".join(sorted(wrong)),
                             t.get("client"), "; ".join(f.get("detail") or "" for f in found)))
            if cause not in TIMER_CAUSES:
                if fam in all_named and not wrong:
                    fstat["right_library"] += 1
                continue
            fstat["timer"] += 1
            if d is None or not own:
                if not own:
                    notes.append("%s: no window for %s %s at keepalive %g" % (where, fam, version or "", ka))
                continue
            inside = lambda w: w[2] + MARGIN_S <= d <= w[3] - MARGIN_S
            near = lambda w: w[2] - MARGIN_S <= d <= w[3] + MARGIN_S
            own_in = any(inside(w) for w in own)
            own_near = any(near(w) for w in own)
            others_near = sorted({w[0] for w in others if near(w)})
            others_in = sorted({w[0] for w in others if inside(w)})
            if own_in and not others_near:
                fstat["required"] += 1
                if fam in all_named:
                    fstat["required_found"] += 1
                else:
                    fails.append("%s: no %s naming %s: the close came %.3f s after the PINGREQ (client log), inside "
                                 "its window %s at keepalive %g and no other library's" % (where, FINDING, fam,
                                 d, " or ".join("[%.3f, %.3f]" % (w[2], w[3]) for w in own), ka))
            elif own_in and others_in:
                fstat["ambiguous"] += 1
                if all_named:
                    fails.append("%s: %s names %s, but %.3f s at keepalive %g is inside the windows of %s and of %s: "
                                 "it singles out no library" % (where, FINDING, ", ".join(sorted(all_named)), d, ka, fam,
                                                                ", ".join(others_in)))
            elif not own_near:
                fstat["outside"] += 1
                if fam in all_named:
                    fails.append("%s: %s names %s, but %.3f s at keepalive %g is outside its window %s" % (where, FINDING, fam,
                                 d, ka, " or ".join("[%.3f, %.3f]" % (w[2], w[3]) for w in own)))
            else:
                fstat["edge"] += 1
            if fam in all_named and not wrong:
                fstat["right_library"] += 1

    # ---- tables
    print("mqttka held-out verdict check: %s, %d %scaptures (windows: %s)\n" % (binary, len(caps), "derived " if derived else "", wpath))
    w = max([len(c) for c in per_class] + [5]) + 2
    print("class".ljust(w) + "".join(k.rjust(13) for k in ("connections", "verdict ok", "detail clean", "ping finding")))
    for c in sorted(per_class):
        pc = per_class[c]
        cells = (pc["conns"], pc["verdict_ok"]) + (("-", "-") if pc["no_mqtt"] else (pc["detail_clean"], pc["finding"]))
        print(c.ljust(w) + "".join(str(x).rjust(13) for x in cells))
    print()
    labels = sorted({a for a, _ in confusion} | {b for _, b in confusion})
    print("%-34s %6s %6s %6s %10s %8s" % ("verdict", "truth", "got", "right", "precision", "recall"))
    for v in labels:
        tp = confusion[(v, v)] if not derived else sum(n for (a, b), n in confusion.items() if b == v and a == v)
        nt = sum(n for (a, b), n in confusion.items() if a == v)
        ng = sum(n for (a, b), n in confusion.items() if b == v)
        print("%-34s %6d %6d %6d %10s %8s" % (v, nt, ng, tp, "%.2f" % (tp / ng) if ng else "-", "%.2f" % (tp / nt) if nt else "-"))
    off = sorted(((a, b), n) for (a, b), n in confusion.items() if a != b)
    if off:
        print("truth -> got: " + "; ".join("%s -> %s: %d" % (a, b, n) for (a, b), n in off))
    print()
    raised = sum(per_class[c]["finding"] for c in per_class)
    right = fstat["right_library"]
    print("%s: raised on %d connections; on true ping timeouts naming the right library %d, naming another %d; "
          "on other causes %d (precision %s)" % (FINDING, raised, right, fstat["wrong_library"], fstat["on_other_cause"],
                                                 "%.2f" % (right / raised) if raised else "-"))
    print("  true ping timeouts %d, %d of them on the library's timer (not a stall): singled out by the window %d "
          "(found %d, recall %s), inside two or more libraries' windows %d, outside the library's own window %d, at a "
          "window's edge %d" % (fstat["timeouts"], fstat["timer"], fstat["required"],
          fstat["required_found"], "%.2f" % (fstat["required_found"] / fstat["required"]) if fstat["required"] else "-",
          fstat["ambiguous"], fstat["outside"], fstat["edge"]))
    if notes and verbose:
        print("\nNotes (%d):" % len(notes))
        for n in notes:
            print("  " + n)
    if fails:
        print("\nFAILED (%d):" % len(fails))
        for f in fails:
            print("  " + f)
        return 1
    print("\nall rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
