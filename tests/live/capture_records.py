# capture_records.py - what the live tests need to know of a -w file while
# mqttka may still be writing it: its records, and whether a connection's
# close has reached it. Reads pcap (microsecond or nanosecond) and pcapng
# (section, interface and enhanced/simple packet blocks), Ethernet (what
# Linux's lo gives) with IPv4 or IPv6 and TCP. A record or block not yet
# whole at the end of the file is left for the next look, so a file read
# mid-write gives every record written whole before it.
#
#   capture_records.py list FILE
#       one line per record: "<epoch> <tcp payload bytes> <tcp flags, hex>"
#       ("- -" for a record that is not TCP).
#   capture_records.py same FILE_A FILE_B
#       exit 0 if both files hold the same records (length on the wire and
#       bytes, each as many times); else names what one has and the other
#       lacks, exit 1. Not their times: each libpcap handle stamps a packet
#       itself, microseconds apart. Not their order: two packets the kernel
#       hands over at the same moment on two CPUs may reach two handles in
#       either order.
#   capture_records.py findings FILE REPLAY_JSONL
#       the findings of REPLAY_JSONL (`mqttka --json -r FILE`) with the
#       record each names given by its bytes, not by its frame number:
#       "<sha1 of the record>/<its occurrence> <kind>", sorted; what two
#       files holding the same records must both give.
#   capture_records.py wait-client-close SECONDS PORT FILE...
#       waits until every FILE holds the close of a connection to PORT by
#       its client: an RST from the client, or a FIN from the client and the
#       server's ACK of it, after which that connection sends nothing while
#       the server is frozen. Exit 1 if SECONDS pass first.
import hashlib
import json
import struct
import sys
import time

LINKTYPE_ETHERNET = 1


def _pcap_records(buf):
    magic = buf[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
              b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}[magic]
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", buf[20:24])[0] & 0x0FFFFFFF
    out, pos = [], 24
    while pos + 16 <= len(buf):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", buf[pos:pos + 16])
        if pos + 16 + incl > len(buf):
            break
        us = frac // 1000 if nano else frac
        out.append((sec * 1000000 + us, linktype, orig, buf[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return out


def _pcapng_records(buf):
    out, pos, endian, links = [], 0, "<", []
    while pos + 12 <= len(buf):
        if buf[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
            endian = "<" if buf[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        btype, blen = struct.unpack(endian + "II", buf[pos:pos + 8])
        if blen < 12 or pos + blen > len(buf):
            break
        body = buf[pos + 8:pos + blen - 4]
        if btype == 1:  # interface description: link type, if_tsresol
            tsresol = 6
            opt = 8
            while opt + 4 <= len(body):
                code, olen = struct.unpack(endian + "HH", body[opt:opt + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    tsresol = body[opt + 4]
                opt += 4 + (olen + 3) // 4 * 4
            links.append((struct.unpack(endian + "H", body[:2])[0], tsresol))
        elif btype == 6:  # enhanced packet
            ifid, hi, lo, incl, orig = struct.unpack(endian + "IIIII", body[:20])
            link, tsresol = links[ifid]
            ticks = (hi << 32) | lo
            if tsresol & 0x80:
                units = 2 ** (tsresol & 0x7F)
            else:
                units = 10 ** tsresol
            out.append((ticks * 1000000 // units, link, orig, body[20:20 + incl]))
        elif btype == 3:  # simple packet: no time
            orig = struct.unpack(endian + "I", body[:4])[0]
            out.append((None, links[0][0], orig, body[4:4 + min(orig, len(body) - 4)]))
        pos += blen
    return out


def records(path):
    """[(time in microseconds, link type, length on the wire, bytes)]"""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 24:
        return []
    if buf[:4] == b"\x0a\x0d\x0d\x0a":
        return _pcapng_records(buf)
    return _pcap_records(buf)


def tcp(link, data):
    """(src port, dst port, seq, ack, flags, payload length) or None."""
    if link != LINKTYPE_ETHERNET or len(data) < 14:
        return None
    ethertype, pos = struct.unpack(">H", data[12:14])[0], 14
    if ethertype == 0x0800 and len(data) >= pos + 20:
        ihl = (data[pos] & 0x0F) * 4
        if data[pos + 9] != 6:
            return None
        end = pos + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        pos += ihl
    elif ethertype == 0x86DD and len(data) >= pos + 40:
        if data[pos + 6] != 6:  # TCP right after the fixed header only
            return None
        end = pos + 40 + struct.unpack(">H", data[pos + 4:pos + 6])[0]
        pos += 40
    else:
        return None
    if len(data) < pos + 20:
        return None
    sport, dport, seq, ack = struct.unpack(">HHII", data[pos:pos + 12])
    offset = (data[pos + 12] >> 4) * 4
    flags = data[pos + 13]
    return sport, dport, seq, ack, flags, max(0, min(end, len(data)) - pos - offset)


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


def client_closed(path, port):
    fin_end = None
    try:
        recs = records(path)
    except OSError:
        return False
    for _, link, _, data in recs:
        t = tcp(link, data)
        if t is None:
            continue
        sport, dport, seq, ack, flags, length = t
        if dport == port and flags & RST:
            return True
        if dport == port and flags & FIN:
            fin_end = (seq + length + 1) & 0xFFFFFFFF
        elif sport == port and fin_end is not None and flags & ACK and ack == fin_end:
            return True
    return False


def main():
    cmd = sys.argv[1]
    if cmd == "list":
        for us, link, _, data in records(sys.argv[2]):
            t = tcp(link, data)
            when = "%d.%06d" % divmod(us, 1000000)
            print(when, "- -" if t is None else "%d 0x%02x" % (t[5], t[4]))
        return 0
    if cmd == "same":
        a, b = records(sys.argv[2]), records(sys.argv[3])
        ka = sorted(r[1:] for r in a)
        kb = sorted(r[1:] for r in b)
        if ka != kb:
            only_a = [r for r in ka if r not in kb]
            only_b = [r for r in kb if r not in ka]
            print("%d records in %s, %d in %s; %d only in the first, %d only in the second"
                  % (len(a), sys.argv[2], len(b), sys.argv[3], len(only_a), len(only_b)))
            return 1
        moved = sum(1 for ra, rb in zip(a, b) if ra[1:] != rb[1:])
        print("the same %d records in both files%s" % (len(a), ", %d in another order" % moved
                                                       if moved else ""))
        return 0
    if cmd == "findings":
        keys, seen = [], {}
        for _, _, _, data in records(sys.argv[2]):
            digest = hashlib.sha1(data).hexdigest()
            seen[digest] = seen.get(digest, 0) + 1
            keys.append("%s/%d" % (digest, seen[digest]))
        with open(sys.argv[3]) as f:
            events = [json.loads(line) for line in f if line.strip()]
        for key in sorted("%s %s" % (keys[o["frame"] - 1], o["kind"])
                          for o in events if o.get("type") == "finding"):
            print(key)
        return 0
    if cmd == "wait-client-close":
        limit, port, paths = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
        end = time.monotonic() + limit
        waiting = list(paths)
        while True:
            waiting = [p for p in waiting if not client_closed(p, port)]
            if not waiting:
                return 0
            if time.monotonic() > end:
                print("no client close of port %d in %s after %.0f s"
                      % (port, " ".join(waiting), limit))
                return 1
            time.sleep(0.05)
    print("usage: capture_records.py list|same|findings|wait-client-close ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
