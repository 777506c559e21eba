#!/usr/bin/env python3
"""Held-out permessage-deflate captures (issue 15) against their ground truth.

    tests/heldout/deflate/check_deflate.py MQTTKA DEFLATE_DIR

Runs `MQTTKA --json -r` on every DEFLATE_DIR/*.pcap (made by make-deflate.sh) and checks each
connection of the .facts beside it (from MQTT.js's and aedes's own logs, never from mqttka),
matched by client port: reported; MQTT packets per type and direction equal MQTT.js's
packetsend/packetreceive counts (client_packets_sent / client_packets_received); pingreq,
pingresp and pingreq_unanswered equal the truth (evaluate.py's truth_counts); close initiator and
mechanism equal closed_by / close_how; verdict equals expected_verdict; and no
ws_compressed_skipped or ws_deflate_failed finding. Prints one line per connection; exits 1 on
any difference, 2 when there is nothing to check.
"""
import glob, os, sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from evaluate import MECH, port_of, read_facts, run_mqttka, truth_counts  # noqa: E402


def parse_packets(s):
    return {k: int(v) for k, v in (x.split(":") for x in s.split(",") if x)}


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    binary, d = sys.argv[1:]
    caps = sorted(glob.glob(os.path.join(d, "*.pcap")))
    fails, checked, skipped = [], 0, 0
    for cap in caps:
        name = os.path.basename(cap)
        facts = cap[:-5] + ".facts"
        if not os.path.exists(facts):
            fails.append("%s: no .facts beside it" % name)
            continue
        _, truth = read_facts(facts)
        conns, err = run_mqttka(binary, cap)
        if err:
            fails.append("%s: mqttka %s" % (name, err))
            continue
        by_port = {port_of(c.get("client")): c for c in conns}
        for t in truth:
            port = int(t["client_port"])
            where = "%s port %d (%s)" % (name, port, t.get("client_id"))
            if "exclude" in t:
                skipped += 1
                print("%s: left out by the truth: %s" % (where, t["exclude"]))
                continue
            checked += 1
            r = by_port.get(port)
            if r is None:
                fails.append("%s: not reported" % where)
                continue
            diffs = []
            pk = r.get("packets") or {}
            for key, direction in (("client_packets_sent", "c2s"), ("client_packets_received", "s2c")):
                want, got = parse_packets(t[key]), dict(pk.get(direction) or {})
                if want != got:
                    diffs.append("%s packets %s, truth %s" % (direction, got, want))
            req, resp, un = truth_counts(t)
            for k, want in (("pingreq", req), ("pingresp", resp), ("pingreq_unanswered", un)):
                if r.get(k) != want:
                    diffs.append("%s %s, truth %s" % (k, r.get(k), want))
            close = r.get("close") or {}
            want_close = (t["closed_by"], MECH.get(t["close_how"], t["close_how"]))
            if (close.get("initiator"), close.get("mechanism")) != want_close:
                diffs.append("close %s/%s, truth %s/%s" % (close.get("initiator"), close.get("mechanism"), *want_close))
            if r.get("verdict") != t["expected_verdict"]:
                diffs.append("verdict %s, truth %s  [%s]" % (r.get("verdict"), t["expected_verdict"], r.get("verdict_detail")))
            bad = sorted({f["kind"] for f in r.get("findings", []) if f["kind"] in ("ws_compressed_skipped", "ws_deflate_failed")})
            if bad:
                diffs.append("findings " + ",".join(bad))
            print("%s: %s" % (where, "; ".join(diffs) if diffs else "packets, pings %s/%s/%s, close %s/%s, verdict %s: as the truth"
                                % (req, resp, un, want_close[0], want_close[1], t["expected_verdict"])))
            fails += ["%s: %s" % (where, x) for x in diffs]
    print("\n%d captures, %d connections checked, %d left out by the truth" % (len(caps), checked, skipped))
    if not checked:
        print("nothing checked", file=sys.stderr)
        return 2
    if fails:
        print("FAILED (%d):" % len(fails))
        for f in fails:
            print("  " + f)
        return 1
    print("all as the truth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
