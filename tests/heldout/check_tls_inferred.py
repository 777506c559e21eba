#!/usr/bin/env python3
"""Issue 17, "without keys": what mqttka infers from TLS record sizes and times on the held-out
TLS captures (tests/heldout/tls/, made by make-tls.sh, truth from the programs' logs and tshark's
decryption with the key logs) against that truth. The key logs are NOT given to mqttka.

Per MQTT connection over TLS (classes tls-* and keyupdate), four figures must agree:
  keepalive   the inferred keepalive within tol = max(1 s, 2 % of KA) (docs/FINDINGS.md) of the
              CONNECT's (truth `keepalive`); none inferred when the wire shows no PINGREQ
  pings       PINGREQ count = wire_pingreq (tshark, decrypted)
  unanswered  = wire_pingreq_unanswered
  close       first close side and mechanism = wire_first_close (client-fin, server-rst, ...)
Connections of TLS without MQTT (nonmqtt-https, heartbeat) must get no ping and no keepalive.

Bar (issue 17): all four agree on >= 95 % of the MQTT connections, and no ping is invented on a
non-MQTT connection. Prints the figures by TLS version and transport, and every disagreement.

usage: check_tls_inferred.py MQTTKA HELDOUT_DIR [--no-invented-only] [--min-agree N]
With --no-invented-only the exit status says only whether a ping was invented on a non-MQTT
connection (the figures are printed all the same). With --min-agree N it fails also when fewer
than N MQTT connections agree (a floor at the figure reached, so that a rule that loses one is
seen, tighter than the issue's bar).
"""
import collections
import glob
import json
import os
import subprocess
import sys

BAR = 0.95


def facts(path):
    top, conns = {}, collections.defaultdict(dict)
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        if k.startswith("conn") and "." in k:
            n, field = k.split(".", 1)
            conns[n][field] = v
        else:
            top[k] = v
    return top, conns


def infer(mqttka, pcap):
    out = subprocess.run([mqttka, "-q", "--json", "-r", pcap], capture_output=True, text=True,
                         timeout=120)
    if out.returncode not in (0, 1):
        raise SystemExit(f"{pcap}: mqttka exited {out.returncode}: {out.stderr.strip()}")
    by_port = {}
    for line in out.stdout.splitlines():
        if not line.startswith("{"):
            continue
        o = json.loads(line)
        if o.get("type") == "tls_connection":
            assert o["inferred"] is True
            by_port[int(o["client"].rsplit(":", 1)[1])] = o
    return by_port


def main():
    mqttka, root = sys.argv[1], sys.argv[2]
    invented_only = "--no-invented-only" in sys.argv[3:]
    min_agree = 0
    if "--min-agree" in sys.argv[3:]:
        min_agree = int(sys.argv[sys.argv.index("--min-agree") + 1])
    tls_dir = os.path.join(root, "tls")
    rows = []          # (group, ok, reasons, name)
    invented = []
    nonmqtt = 0
    # also the TLS echo captures of the cleartext held-out set (make-verdicts.sh, issue 18):
    # random messages echoed, then 2-byte messages at a steady cadence, over TLS 1.3
    extra = sorted(glob.glob(os.path.join(root, "nonmqtt-tls-s*.facts")))
    for fpath in sorted(glob.glob(os.path.join(tls_dir, "*.facts"))) + extra:
        top, conns = facts(fpath)
        cls = top.get("class", "")
        if top.get("tls") != "yes" and top.get("transport") != "tls":
            continue  # cleartext twins: analysed as MQTT by the ordinary path
        pcap = fpath[:-len(".facts")] + ".pcap"
        got = infer(mqttka, pcap)
        base = os.path.basename(pcap)
        for n, c in sorted(conns.items(), key=lambda kv: int(kv[0][4:])):
            port = int(c["client_port"])
            o = got.get(port)
            name = f"{base} {n} ({c.get('client', '?')}, port {port})"
            if top.get("mqtt") == "no":
                nonmqtt += 1
                if o is None:
                    invented.append(f"{name}: no tls_connection reported")
                elif o["pingreq"] or o["keepalive_inferred"] is not None:
                    invented.append(f"{name}: {o['pingreq']} pings, keepalive {o['keepalive_inferred']}")
                continue
            ver = c.get("wire_tls_version") or c.get("tls_version", "?")
            group = f"{ver} {c.get('transport', '?')}"
            reasons = []
            if o is None:
                rows.append((group, False, ["no tls_connection reported"], name, cls))
                continue
            ka, pings = int(c["keepalive"]), int(c["wire_pingreq"])
            tol = max(1.0, 0.02 * ka)
            if pings == 0:
                if o["keepalive_inferred"] is not None:
                    reasons.append(f"keepalive {o['keepalive_inferred']} inferred with no ping on the wire")
            elif o["keepalive_inferred"] is None or abs(o["keepalive_inferred"] - ka) > tol:
                reasons.append(f"keepalive {o['keepalive_inferred']} (truth {ka})")
            if o["pingreq"] != pings:
                reasons.append(f"pingreq {o['pingreq']} (truth {pings})")
            if o["pingreq_unanswered"] != int(c["wire_pingreq_unanswered"]):
                reasons.append(f"unanswered {o['pingreq_unanswered']} (truth {c['wire_pingreq_unanswered']})")
            cl = o["close"]
            close = f"{cl['initiator']}-{cl['mechanism']}" if cl["mechanism"] else "open"
            if close != c.get("wire_first_close"):
                reasons.append(f"close {close} (truth {c.get('wire_first_close')})")
            rows.append((group, not reasons, reasons, name, cls))

    by = collections.defaultdict(lambda: [0, 0])
    for group, ok, _, _, _ in rows:
        by[group][0] += ok
        by[group][1] += 1
    by_cls = collections.defaultdict(lambda: [0, 0])
    for _, ok, _, _, cls in rows:
        by_cls[cls][0] += ok
        by_cls[cls][1] += 1
    total_ok = sum(r[1] for r in rows)
    print("inferred without keys vs decrypted truth (keepalive, pings, unanswered, close all agree):")
    for g in sorted(by):
        print(f"  {g:22s} {by[g][0]:3d}/{by[g][1]:3d}")
    for k in sorted(by_cls):
        print(f"  class {k:16s} {by_cls[k][0]:3d}/{by_cls[k][1]:3d}")
    share = total_ok / len(rows) if rows else 0.0
    print(f"  all                    {total_ok:3d}/{len(rows):3d} = {100 * share:.1f} % (bar {100 * BAR:.0f} %)")
    print(f"  non-MQTT TLS connections: {nonmqtt}, with an invented ping: {len(invented)}")
    for _, ok, reasons, name, _ in rows:
        if not ok:
            print(f"  DISAGREE {name}: {'; '.join(reasons)}")
    for s in invented:
        print(f"  INVENTED {s}")
    if not rows:
        print("no MQTT-over-TLS connection found")
        return 1
    if invented_only:
        return 1 if invented else 0
    if min_agree and total_ok < min_agree:
        print(f"  {total_ok} agree, fewer than the floor of {min_agree} (--min-agree)")
        return 1
    return 0 if share >= BAR and not invented else 1


if __name__ == "__main__":
    sys.exit(main())
