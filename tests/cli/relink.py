#!/usr/bin/env python3
"""relink.py - rewrite an Ethernet pcap into another link type or file format.

    relink.py IN.pcap OUT VARIANT
    relink.py IN.pcap PREFIX VARIANT VARIANT...   (writes PREFIX.VARIANT each)

VARIANT is one of: vlan (802.1ad + 802.1Q tags), null-le, null-be, loop, raw,
ipv4, sll, sll2, pcap-be (big-endian pcap), pcap-ns (nanosecond pcap), pcapng.
Every record keeps its timestamp, its IP datagram (Ethernet padding included,
so that the reader must honour the IP length) and its place in the file, so
mqttka must print the same connections, frames and times for every variant.
Exits 3 when the variant cannot hold the capture (IPv6 in an IPV4 file); with
several variants, that one is not written and the others are. Several at once
read the input once, in one Python start (the test runs all eleven on every
sample).
"""
import struct
import sys

LINKTYPE = {"vlan": 1, "null-le": 0, "null-be": 0, "loop": 108, "raw": 101,
            "ipv4": 228, "sll": 113, "sll2": 276, "pcap-be": 1, "pcap-ns": 1, "pcapng": 1}


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        endian, nano = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        endian, nano = ">", True
    else:
        sys.exit("relink.py: %s is not a pcap file" % path)
    snaplen, linktype = struct.unpack(endian + "II", data[16:24])
    if linktype != 1:
        sys.exit("relink.py: %s is not Ethernet (link type %d)" % (path, linktype))
    records, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(endian + "IIII", data[pos:pos + 16])
        usec = frac // 1000 if nano else frac
        records.append((sec, usec, data[pos + 16:pos + 16 + caplen], wirelen))
        pos += 16 + caplen
    return snaplen, records


def relink(frame, variant):
    """The frame with its Ethernet header replaced; returns (bytes, growth)."""
    ethertype = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    v6 = ethertype == 0x86DD
    if variant == "vlan":
        head = frame[:12] + struct.pack(">HHHHH", 0x88A8, 7, 0x8100, 100, ethertype)
    elif variant == "null-le":
        head = struct.pack("<I", 30 if v6 else 2)
    elif variant in ("null-be", "loop"):
        head = struct.pack(">I", 24 if v6 else 2)
    elif variant in ("raw", "ipv4"):
        head = b""
    elif variant == "sll":
        head = struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, ethertype)
    elif variant == "sll2":
        head = struct.pack(">HHIHBB8s", ethertype, 0, 1, 772, 0, 6, b"\0" * 8)
    else:
        head = frame[:14]
    return head + ip, len(head) - 14


def write_pcap(path, snaplen, records, variant):
    endian = ">" if variant == "pcap-be" else "<"
    magic = 0xA1B23C4D if variant == "pcap-ns" else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen + 64, LINKTYPE[variant])]
    for sec, usec, frame, wirelen in records:
        body, growth = relink(frame, variant)
        frac = usec * 1000 if variant == "pcap-ns" else usec
        out.append(struct.pack(endian + "IIII", sec, frac, len(body), wirelen + growth) + body)
    open(path, "wb").write(b"".join(out))


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def write_pcapng(path, snaplen, records):
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           block(0x00000001, struct.pack("<HHI", 1, 0, snaplen))]  # microseconds by default
    for sec, usec, frame, wirelen in records:
        ts = sec * 1000000 + usec
        out.append(block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                                 len(frame), wirelen) + frame))
    open(path, "wb").write(b"".join(out))


def write_variant(path, snaplen, records, variant):
    """Writes the variant; False when it cannot hold the capture."""
    if variant == "ipv4" and any(frame[12:14] == b"\x86\xdd" for _, _, frame, _ in records):
        return False  # IPv6 has no place in an IPV4 file: not applicable
    if variant == "pcapng":
        write_pcapng(path, snaplen, records)
    else:
        write_pcap(path, snaplen, records, variant)
    return True


def main():
    variants = sys.argv[3:]
    if len(sys.argv) < 4 or any(v not in LINKTYPE for v in variants):
        sys.exit(__doc__)
    snaplen, records = read_pcap(sys.argv[1])
    if len(variants) == 1:
        if not write_variant(sys.argv[2], snaplen, records, variants[0]):
            sys.exit(3)
        return
    for v in variants:
        write_variant(sys.argv[2] + "." + v, snaplen, records, v)


main()
