#!/usr/bin/env python3
"""How often mqttka takes traffic that is not MQTT for MQTT, on captures cut
to start mid-stream: each capture is read whole and then from every Kth
record on (as `editcap -r IN OUT K-` would cut it: the connections alive
across the cut are joined late, their SYN and first bytes gone), and the
connections mqttka reports as MQTT are counted.

    false_positives.py --mqttka EXE [--step K] [--max-cuts N] [--server-port-to P] CAPTURE...

Prints a line per capture (cuts, TCP connections seen in all the runs, how
many were taken for MQTT, the not_analysed reasons added up) and the total;
each connection taken for MQTT is named with the cut it came from. Exit
status: 0 when none was, 1 otherwise. Classic pcap only (what tcpdump and
the heldout scripts write). Standard library only.

--server-port-to P first rewrites, in every record, the server port of each
TCP connection (the destination port of a SYN without ACK anywhere in the
capture) to P on both sides, the TCP checksum updated (RFC 1624), as
`tcprewrite --portmap` would: the same traffic as if its servers listened
on P, e.g. 1883, the port mqttka's probe trusts most (core/probe.h).
Ethernet (with 802.1Q tags) carrying IPv4 or IPv6 only.
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


def tcp_offset(header, record):
    """Where the TCP header of a record starts, else None: Ethernet (link
    type 1, 802.1Q tags skipped), IPv4 or IPv6 without extension headers."""
    at = 16 + 12
    while len(record) >= at + 2 and record[at:at + 2] in (b"\x81\x00", b"\x88\xa8"):
        at += 4
    if len(record) < at + 2:
        return None
    ethertype, at = record[at:at + 2], at + 2
    if ethertype == b"\x08\x00" and len(record) >= at + 20 and record[at + 9] == 6:
        return at + (record[at] & 0x0f) * 4
    if ethertype == b"\x86\xdd" and len(record) >= at + 40 and record[at + 6] == 6:
        return at + 40
    return None


def rewrite_server_ports(header, records, port):
    """The records with every server port (a SYN's destination) made `port`."""
    e = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if struct.unpack(e + "I", header[20:24])[0] != 1:
        raise ValueError("--server-port-to: Ethernet captures only")
    servers, where = set(), []
    for r in records:
        t = tcp_offset(header, r)
        where.append(t)
        if t is not None and len(r) >= t + 14 and (r[t + 13] & 0x12) == 0x02:
            servers.add(struct.unpack(">H", r[t + 2:t + 4])[0])
    out = []
    for r, t in zip(records, where):
        if t is None or len(r) < t + 18:
            out.append(r)
            continue
        b = bytearray(r)
        check = struct.unpack(">H", b[t + 16:t + 18])[0]
        for at in (t, t + 2):
            old = struct.unpack(">H", b[at:at + 2])[0]
            if old in servers and old != port:
                b[at:at + 2] = struct.pack(">H", port)
                # RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
                c = (~check & 0xffff) + (~old & 0xffff) + port
                c = (c & 0xffff) + (c >> 16)
                c = (c & 0xffff) + (c >> 16)
                check = ~c & 0xffff
        b[t + 16:t + 18] = struct.pack(">H", check)
        out.append(bytes(b))
    return out


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
    ap.add_argument("--server-port-to", type=int, default=0,
                    help="rewrite every server port to P first (0: not)")
    ap.add_argument("captures", nargs="+")
    opts = ap.parse_args()
    total = {"cuts": 0, "tcp": 0, "mqtt": 0, "segments": 0}
    reasons_total = {}
    for path in opts.captures:
        header, records = read_pcap(path)
        if opts.server_port_to:
            records = rewrite_server_ports(header, records, opts.server_port_to)
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
