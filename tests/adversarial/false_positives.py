#!/usr/bin/env python3
"""How often mqttka takes traffic that is not MQTT for MQTT, on captures cut
to start mid-stream: each capture is read whole and then from every Kth
record on (as `editcap -r IN OUT K-` would cut it: the connections alive
across the cut are joined late, their SYN and first bytes gone), and the
connections mqttka reports as MQTT are counted.

    false_positives.py --mqttka EXE [--step K] [--max-cuts N] CAPTURE...

Prints a line per capture (cuts, TCP connections seen in all the runs, how
many were taken for MQTT, the not_analysed reasons added up) and the total;
each connection taken for MQTT is named with the cut it came from. Exit
status: 0 when none was, 1 otherwise. Classic pcap only (what tcpdump and
the heldout scripts write). Standard library only.
"""
import argparse
import json
import struct
import subprocess
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    header, pos, records = data[:24], 24, []
    while pos + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
        records.append(data[pos:pos + 16 + caplen])
        pos += 16 + caplen
    return header, records


def run(mqttka, header, records):
    p = subprocess.run([mqttka, "--json", "-r", "-"], input=header + b"".join(records),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("mqttka exited %d: %s" % (p.returncode, p.stderr[:300]))
    objs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    cap = [o for o in objs if o.get("type") == "capture"][-1]
    conns = [o for o in objs if o.get("type") == "connection"]
    return cap, conns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mqttka", required=True)
    ap.add_argument("--step", type=int, default=1, help="cut at every Kth record")
    ap.add_argument("--max-cuts", type=int, default=0, help="at most N cuts a capture (0: all)")
    ap.add_argument("captures", nargs="+")
    opts = ap.parse_args()
    total = {"cuts": 0, "tcp": 0, "mqtt": 0, "segments": 0}
    reasons_total = {}
    for path in opts.captures:
        header, records = read_pcap(path)
        starts = list(range(0, len(records), max(1, opts.step)))
        if opts.max_cuts and len(starts) > opts.max_cuts:
            starts = [starts[i * len(starts) // opts.max_cuts] for i in range(opts.max_cuts)]
        tcp = mqtt = segs = 0
        reasons = {}
        for k in starts:
            cap, conns = run(opts.mqttka, header, records[k:])
            tcp += cap["tcp_connections"]
            mqtt += cap["mqtt_connections"]
            segs += cap["tcp_segments"]
            for r, n in cap["not_analysed"].items():
                reasons[r] = reasons.get(r, 0) + n
            for c in conns:
                print("  MQTT? %s cut at record %d: %s -> %s %s, packets %s"
                      % (path, k + 1, c["client"], c["server"], c["transport"],
                         json.dumps(c["packets"])))
        print("%s: %d cuts, %d TCP segments read, %d TCP connections, %d taken for MQTT; "
              "not analysed %s" % (path, len(starts), segs, tcp, mqtt,
                                   {r: n for r, n in reasons.items() if n}))
        total["cuts"] += len(starts)
        total["tcp"] += tcp
        total["mqtt"] += mqtt
        total["segments"] += segs
        for r, n in reasons.items():
            reasons_total[r] = reasons_total.get(r, 0) + n
    print("total: %d captures, %d cuts, %d TCP segments, %d TCP connections, %d taken for MQTT; "
          "not analysed %s" % (len(opts.captures), total["cuts"], total["segments"], total["tcp"],
                               total["mqtt"], {r: n for r, n in reasons_total.items() if n}))
    return 1 if total["mqtt"] else 0


if __name__ == "__main__":
    sys.exit(main())
