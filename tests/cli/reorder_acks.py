#!/usr/bin/env python3
"""reorder_acks.py IN OUT - a classic little-endian Ethernet pcap with every
TCP data segment swapped with the bare ACK right after it that acknowledges
it, timestamps swapped too: the ACK is captured before the data, as a NIC
with several receive and transmit queues, each stamped on its own, can show
them. Prints how many pairs were swapped; exit 3 when the capture is not of
that kind."""
import struct
import sys


def tcp_view(frame):
    """(src port, dst port, seq, ack, flags, payload length) or None."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    t = ip[ihl:]
    off = (t[12] >> 4) * 4
    sport, dport, seq, ack = struct.unpack("!HHII", t[:12])
    return sport, dport, seq, ack, t[13], total - ihl - off


def main():
    data = open(sys.argv[1], "rb").read()
    if len(data) < 24 or data[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", data[20:24])[0] != 1:
        return 3
    recs, o = [], 24
    while o + 16 <= len(data):
        sec, frac, cap, wire = struct.unpack("<IIII", data[o:o + 16])
        recs.append([sec, frac, data[o + 16:o + 16 + cap], wire])
        o += 16 + cap
    swapped, i = 0, 0
    while i + 1 < len(recs):
        a, b = tcp_view(recs[i][2]), tcp_view(recs[i + 1][2])
        if a and b and a[5] > 0 and b[5] == 0 and b[4] == 0x10 and (b[0], b[1]) == (a[1], a[0]) \
                and b[3] == (a[2] + a[5]) & 0xFFFFFFFF:
            (ra, rb) = recs[i], recs[i + 1]
            ra[0], ra[1], rb[0], rb[1] = rb[0], rb[1], ra[0], ra[1]
            recs[i], recs[i + 1] = rb, ra
            swapped += 1
            i += 2
            continue
        i += 1
    with open(sys.argv[2], "wb") as out:
        out.write(data[:24])
        for sec, frac, frame, wire in recs:
            out.write(struct.pack("<IIII", sec, frac, len(frame), wire) + frame)
    print(swapped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
