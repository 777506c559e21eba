#!/usr/bin/env python3
"""The rules between connections against the held-out truth (issue 14).

usage: check_between_rules.py MQTTKA HELDOUT_DIR

For every capture of HELDOUT_DIR/between (README-between.md), measured the way
check_between.py measures it (whose evaluate() this reuses), requires that
exactly the connections the truth says get session_taken_over, connect_refused
and the connack_missing finding get them, that taken_over_by names the truth's
taker, and that the reconnect_storm findings are exactly the truth's storms
(one client id, or address, with 10 or more connections). The per-client view
and mass_close are not judged here. Prints the figures; exits 1 on any miss.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_between  # noqa: E402

EXACT = ("session_taken_over", "connect_refused", "connack_missing", "storm")


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    mqttka, heldout = sys.argv[1:3]
    caps = sorted(glob.glob(os.path.join(heldout, "between", "*.pcap")))
    if not caps:
        print("check_between_rules: no captures under %s/between" % heldout)
        return 1
    failures = []
    totals = {k: check_between.Confusion() for k in EXACT}
    taken_by = check_between.Ratio()
    for cap in caps:
        r, conf, wrong = check_between.evaluate(mqttka, cap, True)
        name = os.path.basename(cap)
        for k in EXACT:
            totals[k] += conf[k]
            if conf[k].tp != conf[k].exp or conf[k].fp:
                failures.append("%s: %s %s" % (name, k, conf[k]))
        taken_by += r["taken_by"]
        if r["taken_by"].ok != r["taken_by"].n:
            failures.append("%s: taken_over_by %s" % (name, r["taken_by"]))
        for w in wrong:
            if any(k in w for k in EXACT + ("taken_over_by", "taken over")):
                failures.append("%s: %s" % (name, w))
    print("%d captures: %s, taken_over_by %s" % (
        len(caps), ", ".join("%s %s" % (k, totals[k]) for k in EXACT), taken_by))
    for f in failures:
        print("MISS " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
