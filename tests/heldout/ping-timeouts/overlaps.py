#!/usr/bin/python3
"""Which library windows of windows.tsv overlap, keepalive by keepalive.

    tests/heldout/ping-timeouts/overlaps.py [WINDOWS_TSV] [KA...]

For each keepalive (default 1..120 s, and a few large ones) and each kind of close (bare FIN/RST,
or DISCONNECT first), prints the windows [lo, hi] of close - PINGREQ that apply, and, for each
library, whether its window overlaps another library's (then a close there singles out none).
Only keepalives where the answer changes are printed unless KAs are given.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from check_verdicts import read_windows, windows_for  # noqa: E402


def analyse(rows, ka, close):
    ws = windows_for(rows, ka, close)
    alone = {}
    for w in ws:
        others = [o for o in ws if o[1] != w[1] and o[2] <= w[3] and w[2] <= o[3]]
        alone[w[0]] = sorted({o[0] for o in others})
    return ws, alone


def main():
    args = sys.argv[1:]
    path = args.pop(0) if args and not args[0].isdigit() else os.path.join(HERE, "windows.tsv")
    rows = read_windows(path)
    kas = [int(a) for a in args] or list(range(1, 121)) + [180, 300, 600, 1200, 3600]
    for close in ("bare", "disconnect"):
        print("close: %s" % close)
        last = None
        for ka in kas:
            ws, alone = analyse(rows, ka, close)
            key = tuple(sorted((k, tuple(v)) for k, v in alone.items()))
            if args or key != last:
                print("  KA %4d s: " % ka + "; ".join(
                    "%s [%.2f, %.2f]%s" % (w[0], w[2], w[3], (" overlaps " + ",".join(alone[w[0]])) if alone[w[0]] else " ALONE")
                    for w in ws))
            last = key
        print()


if __name__ == "__main__":
    main()
