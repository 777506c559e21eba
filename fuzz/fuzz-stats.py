#!/usr/bin/env python3
"""Adds up the libFuzzer logs that fuzz/run-fuzzer.sh leaves in fuzz/.work/:
per target, the runs, the time fuzzed, the inputs executed, the coverage
(libFuzzer's `cov:`, edges of the instrumented code, and `ft:`, features)
reached by the last run, and how many runs ended on a finding.

    fuzz/fuzz-stats.py [LOG_DIR...]

Time comes from run-fuzzer.sh's "elapsed" line, else libFuzzer's "Done N
runs in S second(s)"; for a log with neither (a run that ended on a
finding) it is estimated as executions / exec/s, and marked "~".
"""
import glob
import os
import re
import sys

LINE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) .*exec/s: (\d+)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    logdirs = sys.argv[1:] or [os.path.join(here, ".work")]
    targets = {}
    logs = [p for d in logdirs for p in glob.glob(os.path.join(d, "*-2*.log"))]
    for path in sorted(logs, key=os.path.getmtime):
        target = os.path.basename(path).rsplit("-", 2)[0]
        execs = cov = ft = rate = 0
        elapsed = done_seconds = None
        finding = False
        with open(path, errors="replace") as f:
            for line in f:
                m = LINE.match(line)
                if m:
                    execs, cov, ft, rate = (int(g) for g in m.groups())
                elif line.startswith("run-fuzzer: target"):
                    elapsed = int(line.split()[4])
                elif "ERROR: libFuzzer" in line or "ERROR: AddressSanitizer" in line:
                    finding = True
                elif line.startswith("Done ") and " runs in " in line:
                    execs, done_seconds = int(line.split()[1]), int(line.split()[4])
        if elapsed is None:
            elapsed = done_seconds
        estimated = elapsed is None
        if estimated:
            elapsed = execs // rate if rate else 0
        t = targets.setdefault(target, dict(runs=0, seconds=0, execs=0, cov=0, ft=0,
                                            findings=0, estimated=False))
        t["runs"] += 1
        t["seconds"] += elapsed
        t["execs"] += execs
        t["cov"], t["ft"] = max(t["cov"], cov), max(t["ft"], ft)
        t["findings"] += finding
        t["estimated"] |= estimated
    print("| target | runs | time fuzzed | inputs executed | cov (edges) | ft | runs ended on a finding |")
    print("|---|---|---|---|---|---|---|")
    for name, t in sorted(targets.items()):
        mins = "%s%d min %02d s" % ("~" if t["estimated"] else "", t["seconds"] // 60, t["seconds"] % 60)
        print("| %s | %d | %s | %s | %d | %d | %d |" % (name, t["runs"], mins,
              format(t["execs"], ","), t["cov"], t["ft"], t["findings"]))


if __name__ == "__main__":
    main()
