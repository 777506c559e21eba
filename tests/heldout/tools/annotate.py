#!/usr/bin/python3
"""Add what tshark sees on the wire to the .facts of generated captures (make-verdicts.sh).

    annotate.py CAPTURE.pcap...

For every connection of the .facts (matched by client_port) appends connN.wire_pingreq,
connN.wire_pingresp, connN.wire_pingreq_unanswered (FIFO pairing) and connN.wire_first_close
(side-flag of the first FIN/RST), from tools/wire.py (tshark), replacing earlier wire_* lines.
These are the wire truth where the client's log cannot tell (a PINGRESP the client never read,
a PINGRESP the broker logged but never wrote), and a check of the design: a warning is printed
when the wire and the client's log disagree on the PINGREQs sent.
"""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

for pcap in sys.argv[1:]:
    facts = pcap[:-5] + ".facts"
    lines = [l for l in open(facts).read().splitlines() if not re.match(r"^(conn\d+\.)?wire_|^# wire_", l)]
    kv = dict(l.split("=", 1) for l in lines if "=" in l and not l.startswith("#"))
    if kv.get("expected_verdict") == "none" or "derived_from" in kv:
        continue
    _, streams = wire.decode(pcap)
    by_port = {st.client[1]: st for st in streams.values()}
    n = int(kv.get("connections", "1"))
    add = ["# wire_*: tshark's decode of this capture (tests/heldout/tools/annotate.py), not the clients' logs"]
    for i in range(1, n + 1):
        p = "conn%d." % i if ("conn%d.client_port" % i) in kv else ""
        port = kv.get(p + "client_port")
        st = by_port.get(int(port)) if port else None
        if st is None:
            print("annotate: %s %sclient_port %s not in the capture" % (pcap, p, port), file=sys.stderr)
            continue
        req, resp, un = wire.ping_pairs(st)
        c = st.closes[0] if st.closes else None
        add += [p + "wire_pingreq=%d" % req, p + "wire_pingresp=%d" % resp, p + "wire_pingreq_unanswered=%d" % un,
                p + "wire_first_close=%s" % ("%s-%s" % (c[2], c[3]) if c else "none")]
        sent = kv.get(p + "client_pingreq_sent")
        if sent not in (None, "") and int(sent) != req:
            print("annotate: %s %s: client log says %s PINGREQ sent, tshark sees %d" % (pcap, p or "conn", sent, req), file=sys.stderr)
    with open(facts, "w") as f:
        f.write("\n".join(lines + add) + "\n")
