#!/usr/bin/env python3
"""Hostile captures for mqttka, made on demand (none is committed: the SYN
flood alone is 70 MB).

    gen_adversarial.py CASE OUT [SCALE]  writes the capture of CASE to OUT ('-': stdout)
    gen_adversarial.py --list        the cases, one a line

Cases (each a classic pcap, Ethernet + IPv4 + TCP, unless said otherwise):

  syn-flood        an MQTT connection (CONNECT, CONNACK, PINGREQ/PINGRESP),
                   then 1,000,000 SYNs from distinct source address/port pairs,
                   then the MQTT connection's DISCONNECT
  ws-huge-frame    a WebSocket handshake offering "mqtt", a CONNECT, then a
                   binary frame declaring 2^63-1 bytes followed by 32 MB of it
  mqtt-rl-max      MQTT over TCP: CONNECT, then a PUBLISH whose Remaining
                   Length is 268,435,455 followed by nothing, then FIN
  mqtt-rl-max-body the same PUBLISH followed by 32 MB of its body; also a
                   CONNECT declaring 268,435,455 bytes on a second connection
  seq-wrap-jump    sequence numbers that wrap past 2^32 mid-packet, and jump
                   by 2^31, 2^30 and 2^32-1 (a wrap back)
  overlap-retrans  retransmissions that overlap what was sent before with
                   different bytes (first copy wins), in both directions
  time-backwards   records whose timestamps go backwards by seconds and by
                   years, and forwards by a decade
  snaplen-64       a healthy MQTT over WebSocket session captured with
                   snaplen 64: every payload cut short
  pcapng-unknown   a pcapng file with unknown block types (and a custom
                   block, and an unknown option) between its packets
  ooo-flood        one connection that sends 100,000 segments ahead of a
                   hole that is never filled
  http-header-flood a WebSocket Upgrade request offering "mqtt" whose answer
                   is 1 MiB of header lines without a blank line
  ws-deflate-bomb  a WebSocket with permessage-deflate (client_no_context_
                   takeover): a CONNECT, then one compressed message made by
                   zlib, a PUBLISH declaring 268,435,455 bytes followed by
                   256 MiB of zeros (about 260 KB on the wire), then a
                   compressed PINGREQ, its PINGRESP and a DISCONNECT

Streams that must not be taken for MQTT, and resynchronisation kept busy
(issue 13). SCALE (default 1) multiplies their size, to measure how time and
memory grow with it; the tests run SCALE 1.

  random-late      2000 flows joined late (no SYN) of 100 segments each, both
                   ways at random, of random bytes and random lengths (9 in 10
                   1-64 bytes, the others up to 1460), to broker and web ports;
                   SCALE multiplies the segments per flow
  tls-syn          500 TLS-like connections from their SYN: a ClientHello
                   and ServerHello record (16 03 01 / 16 03 03) with random
                   bodies, then application data records (17 03 03) of
                   random lengths with random bodies, cut at 1448 bytes
  tls-late-record  the same joined late, each at the start of a record
  tls-late-mid     the same joined late, each inside a record
  tls-hostile-length  300 TLS connections from their SYN whose second record
                   declares 65535 bytes (past TLS's 2^14 + 2048) and is
                   followed by 64 KiB of random bytes each way
  tls-endless-handshake  300 TLS connections from their SYN that exchange
                   handshake records of random lengths (up to 16 KiB) and
                   never finish: no application data, no FIN
  tls-ping-flood   200 TLS 1.3 connections, interleaved, of 1100 ping pairs
                   each (19-byte records): past the record log's cap
  ws-binary-late   500 WebSocket flows of another protocol joined late:
                   masked (client) and unmasked (server) binary frames of
                   random bytes, text frames of JSON, Pings and Pongs
  one-sided        MQTT connections of which one direction only was
                   captured: client to server from the SYN (CONNECT, pings,
                   DISCONNECT, FIN), client to server joined late (pings
                   only, over TCP and over WebSocket), server to client
                   joined late (PINGRESPs only, over TCP and WebSocket)
  resync-busy      an MQTT connection and an MQTT-over-WebSocket one with a
                   hole in the client direction followed by 5000 segments
                   that almost prove a boundary (a chain of valid MQTT
                   headers, or of whole WebSocket frames, broken at its last
                   byte; a frame header declaring 2^63-1 bytes), then one
                   that proves, a PINGREQ and the DISCONNECT; and two flows
                   joined late whose every segment is such an almost-proof
                   (the probe; over WebSocket, frames of MQTT packets broken
                   at the last byte); SCALE multiplies the segments

Standard library only. Output is deterministic.
"""
import random
import struct
import sys
import zlib

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
T0 = 1700000000.0

CLIENT = (bytes([10, 0, 0, 2]), 50000)
SERVER = (bytes([10, 0, 0, 1]), 1883)


def csum(data):
    """The Internet checksum (RFC 1071). The ones' complement sum of the
    16-bit words is the bytes read as one big number modulo 0xFFFF (0xFFFF
    for a multiple of it other than 0), which Python computes far faster
    than a sum of words."""
    if len(data) % 2:
        data += b"\0"
    n = int.from_bytes(data, "big")
    s = n % 0xFFFF
    if s == 0 and n:
        s = 0xFFFF
    return ~s & 0xFFFF


def frame(src, dst, seq, ack, flags, payload=b""):
    """Ethernet + IPv4 + TCP, checksums right (Wireshark-friendly)."""
    (sip, sport), (dip, dport) = src, dst
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6,
                     0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + tcp + payload


class Pcap:
    """Streams records to a binary file object."""

    def __init__(self, out, snaplen=262144):
        self.out = out
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        self.snaplen = snaplen

    def add(self, ts, data):
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        cap = data[:self.snaplen]
        self.out.write(struct.pack("<IIII", sec & 0xFFFFFFFF, usec, len(cap), len(data)) + cap)


class Conn:
    """One TCP connection: tracks sequence numbers, writes segments."""

    def __init__(self, pcap, client=CLIENT, server=SERVER, isn_c=1000, isn_s=5000):
        self.p, self.c, self.s = pcap, client, server
        self.seq = [isn_c, isn_s]
        self.t = T0

    def ends(self, d):
        return (self.c, self.s) if d == 0 else (self.s, self.c)

    def handshake(self):
        self.seg(0, SYN, advance=1)
        self.seg(1, SYN | ACK, advance=1)
        self.seg(0, ACK)

    def seg(self, d, flags, payload=b"", advance=None, seq=None, dt=0.001):
        self.t += dt
        src, dst = self.ends(d)
        s = self.seq[d] if seq is None else seq
        self.p.add(self.t, frame(src, dst, s, self.seq[1 - d], flags, payload))
        if seq is None:
            self.seq[d] += len(payload) if advance is None else advance

    def send(self, d, payload, dt=0.001):
        self.seg(d, PSH | ACK, payload, dt=dt)

    def close(self):
        self.seg(0, FIN | ACK, advance=1)
        self.seg(1, FIN | ACK, advance=1)
        self.seg(0, ACK)


CONNECT = b"\x10\x11\x00\x04MQTT\x04\x02\x00\x05\x00\x05adver"  # keepalive 5, id "adver"
CONNACK = b"\x20\x02\x00\x00"
PINGREQ, PINGRESP, DISCONNECT = b"\xc0\x00", b"\xd0\x00", b"\xe0\x00"

WS_REQUEST = (b"GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
WS_RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
               b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")
MASK = b"\x01\x02\x03\x04"


def ws_client(payload):
    """A masked binary frame, as a client sends it."""
    n = len(payload)
    hdr = b"\x82" + (bytes([0x80 | n]) if n < 126 else b"\xfe" + struct.pack("!H", n))
    return hdr + MASK + bytes(b ^ MASK[i & 3] for i, b in enumerate(payload))


def ws_server(payload):
    return b"\x82" + bytes([len(payload)]) + payload


def mqtt_session(p, **kw):
    c = Conn(p, **kw)
    c.handshake()
    c.send(0, CONNECT)
    c.send(1, CONNACK)
    c.send(0, PINGREQ, dt=4.0)
    c.send(1, PINGRESP)
    return c


# ---------------------------------------------------------------- cases --

def syn_flood(out):
    p = Pcap(out)
    c = mqtt_session(p)
    # 1,000,000 SYNs from 10.(16+i/65536).x.y port 1024+i%60000 to the broker:
    # the record is built once and patched, or Python would take a minute.
    rec = bytearray(struct.pack("<IIII", 0, 0, 54, 54) + frame(
        (bytes([10, 16, 0, 0]), 1024), SERVER, 7, 0, SYN))
    ts = int(c.t) + 1
    write = out.write
    for i in range(1000000):
        struct.pack_into("<II", rec, 0, ts + i // 100000, (i % 100000) * 10)
        # IP source (frame offset 26) and TCP source port (offset 34)
        rec[16 + 26:16 + 30] = bytes([10, 16 + (i >> 16), (i >> 8) & 0xFF, i & 0xFF])
        struct.pack_into("!H", rec, 16 + 34, 1024 + i % 60000)
        write(rec)
    c.t = ts + 11
    c.send(0, DISCONNECT)
    c.close()


def ws_huge_frame(out):
    p = Pcap(out)
    c = Conn(p)
    c.handshake()
    c.send(0, WS_REQUEST)
    c.send(1, WS_RESPONSE)
    c.send(0, ws_client(CONNECT))
    c.send(1, ws_server(CONNACK))
    c.send(0, b"\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff" + MASK)
    # The frame carries a PUBLISH declaring 268,435,455 bytes, so the MQTT
    # decoder streams past its body too. 32,000 bytes a segment (an IPv4
    # packet holds 64 KiB at most), a multiple of 4 so every chunk masks alike.
    def masked(data):
        return bytes(b ^ MASK[i & 3] for i, b in enumerate(data))
    first = b"\x30\xff\xff\xff\x7f\x00\x01t"
    c.send(0, masked(first + bytes(range(256)) * 125)[:32000])
    chunk = masked(bytes(range(256)) * 125)
    for _ in range(1023):  # 32 MB in all
        c.send(0, chunk, dt=0.0001)
    c.close()


def mqtt_rl_max(out):
    p = Pcap(out)
    c = mqtt_session(p)
    c.send(0, b"\x30\xff\xff\xff\x7f")
    c.close()


def mqtt_rl_max_body(out):
    p = Pcap(out)
    c = mqtt_session(p)
    c.send(0, b"\x30\xff\xff\xff\x7f\x00\x01t")
    chunk = b"\xa5" * 32000
    for _ in range(1024):  # 32 MB
        c.send(0, chunk, dt=0.0001)
    c.close()
    # A CONNECT that declares the largest length: its body is kept only up to
    # the cap (max_mqtt_kept_bytes), the rest streamed past.
    d = Conn(p, client=(bytes([10, 0, 0, 3]), 50001), isn_c=77, isn_s=99)
    d.t = c.t + 1
    d.handshake()
    d.send(0, b"\x10\xff\xff\xff\x7f\x00\x04MQTT\x04\x02\x00\x3c\x00\x04huge")
    for _ in range(128):  # 4 MB
        d.send(0, chunk, dt=0.0001)
    d.close()


def seq_wrap_jump(out):
    p = Pcap(out)
    # The client's ISN sits 10 bytes below 2^32: the CONNECT straddles the wrap.
    c = mqtt_session(p, isn_c=0xFFFFFFF5)
    c.send(0, PINGREQ, dt=4.0)
    c.send(1, PINGRESP)
    # Jumps: a segment 2^31 ahead (ambiguous in serial arithmetic), one 2^30
    # ahead (beyond any window), one 2^32-1 ahead (that is, one byte behind).
    for jump in (1 << 31, 1 << 30, (1 << 32) - 1, 12345):
        c.seg(0, PSH | ACK, PINGREQ, seq=c.seq[0] + jump)
    # The server's data jumps forward too: the client ACKs past a hole.
    c.seq[1] += 1000
    c.send(1, PINGRESP)
    c.send(0, PINGREQ, dt=4.0)
    c.send(1, PINGRESP)
    c.send(0, DISCONNECT)
    c.close()


def overlap_retrans(out):
    p = Pcap(out)
    c = Conn(p)
    c.handshake()
    base = c.seq[0]
    # CONNECT sent in two pieces, then "retransmitted" with other bytes over
    # the end of the first piece and into the second: the first copy of each
    # byte wins, so the CONNECT stands.
    c.seg(0, PSH | ACK, CONNECT[:10], seq=base)
    c.seg(0, PSH | ACK, CONNECT[10:], seq=base + 10)
    c.seg(0, PSH | ACK, b"\xee" * 12, seq=base + 5)
    c.seq[0] = base + len(CONNECT)
    c.send(1, CONNACK)
    # Then a hole, filled by pieces that overlap with different content, in
    # an order where each byte's first captured copy is the right one: each
    # round is two PINGREQs (c0 00 c0 00) however it was cut up.
    for i in range(200):
        s = c.seq[0]
        c.seg(0, PSH | ACK, b"\x00\xc0\x00", seq=s + 1, dt=0.01)  # ahead of the hole
        c.seg(0, PSH | ACK, b"\xff\xff", seq=s + 2)              # overlaps queued data
        c.seg(0, PSH | ACK, b"\xc0\xee\xee", seq=s)              # fills it, overlaps the rest
        c.seg(0, PSH | ACK, b"\x00" * 4, seq=s - 2)              # old and new bytes
        c.seq[0] = s + 4
        c.send(1, PINGRESP + PINGRESP)
    c.send(0, DISCONNECT)
    c.close()


def time_backwards(out):
    p = Pcap(out)
    c = mqtt_session(p)
    for dt in (-3.0, -1.0, 2.0, -86400.0 * 365 * 20, 86400.0 * 365 * 10, -0.5, 1.0):
        c.send(0, PINGREQ, dt=dt)
        c.send(1, PINGRESP, dt=0.001)
    c.send(0, DISCONNECT, dt=-5.0)
    c.close()


def snaplen_64(out):
    p = Pcap(out, snaplen=64)
    c = Conn(p)
    c.handshake()
    c.send(0, WS_REQUEST)
    c.send(1, WS_RESPONSE)
    c.send(0, ws_client(CONNECT))
    c.send(1, ws_server(CONNACK))
    for _ in range(3):
        c.send(0, ws_client(PINGREQ), dt=4.0)
        c.send(1, ws_server(PINGRESP))
    c.send(0, ws_client(DISCONNECT))
    c.close()


def pcapng_unknown(out):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    class Ng:
        def __init__(self):
            out.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
            # An IDB with an unknown option (code 0x7777) among real ones.
            opts = struct.pack("<HH", 0x7777, 3) + b"abc\0" + struct.pack("<HH", 0, 0)
            out.write(block(1, struct.pack("<HHI", 1, 0, 262144) + opts))
            self.n = 0

        def add(self, ts, data):
            t = int(ts * 1e6)
            self.n += 1
            # Unknown block types between packets: never defined, a local-use
            # one (high bit set) and a Custom Block (0xBAD) with a PEN.
            out.write(block(0x00000042 + self.n % 3, b"mystery" * (self.n % 5)))
            out.write(block(0x80001234, b"local use"))
            out.write(block(0x00000BAD, struct.pack("<I", 32473) + b"custom data"))
            out.write(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF,
                                           len(data), len(data)) + data))

    ng = Ng()
    c = Conn(ng)
    c.handshake()
    c.send(0, WS_REQUEST)
    c.send(1, WS_RESPONSE)
    c.send(0, ws_client(CONNECT))
    c.send(1, ws_server(CONNACK))
    c.send(0, ws_client(PINGREQ), dt=4.0)
    c.send(1, ws_server(PINGRESP))
    c.send(0, ws_client(DISCONNECT))
    c.close()


def ooo_flood(out):
    p = Pcap(out)
    c = mqtt_session(p)
    hole = c.seq[0]
    for i in range(100000):
        c.seg(0, PSH | ACK, PINGREQ * 8, seq=hole + 100 + 16 * i, dt=0.00001)
    c.seq[0] = hole + 100 + 16 * 100000
    c.close()


def http_header_flood(out):
    p = Pcap(out)
    c = Conn(p)
    c.handshake()
    c.send(0, WS_REQUEST)
    c.send(1, b"HTTP/1.1 101 Switching Protocols\r\n")
    line = b"X-Filler: " + b"f" * 1000 + b"\r\n"
    for _ in range(1024):
        c.send(1, line, dt=0.0001)
    c.close()


# ---------------------------------------------- not MQTT, joined late --

def late_conn(p, rnd, i, server_ports, client_net=1):
    """A connection seen from the middle: random ISNs, no handshake."""
    client = (bytes([10, client_net, (i >> 8) & 0xFF, i & 0xFF]), 20000 + i % 40000)
    server = (bytes([10, 0, 0, 1]), server_ports[i % len(server_ports)])
    return Conn(p, client=client, server=server, isn_c=rnd.getrandbits(32),
                isn_s=rnd.getrandbits(32))


WEB_AND_BROKER_PORTS = (1883, 8883, 443, 80, 8080, 9001, 5555)


def random_late(out, scale=1):
    rnd = random.Random(13001)
    p = Pcap(out)
    flows = [late_conn(p, rnd, i, WEB_AND_BROKER_PORTS) for i in range(2000)]
    t = T0
    # Interleaved: every flow is alive at once, as on a busy link.
    for _ in range(100 * scale):
        for c in flows:
            n = rnd.randint(1, 64) if rnd.random() < 0.9 else rnd.randint(65, 1460)
            c.t = t = t + 0.00001
            c.send(rnd.getrandbits(1), rnd.randbytes(n), dt=0)


def tls_records(rnd, n_records):
    """(record starts, bytes) of one direction of a TLS-like stream."""
    starts, data = [], bytearray()
    for k in range(n_records):
        length = rnd.randint(20, 3000) if k else rnd.randint(100, 600)
        starts.append(len(data))
        data += (b"\x16\x03\x01" if k == 0 else b"\x17\x03\x03") + struct.pack("!H", length)
        data += rnd.randbytes(length)
    return starts, bytes(data)


def tls_flows(out, mode, scale):
    """500 TLS-like connections; mode: 'syn', 'record' (joined late at a
    record start) or 'mid' (joined late inside a record)."""
    rnd = random.Random({"syn": 13101, "record": 13102, "mid": 13103}[mode])
    p = Pcap(out)
    for i in range(500):
        c = late_conn(p, rnd, i, (443, 8883, 993, 5061))
        c.t = T0 + i * 0.01
        dirs = [tls_records(rnd, 12 * scale), tls_records(rnd, 12 * scale)]
        # Segments as a sender cuts them: at most 1448 bytes, a record's end
        # ending a segment when the application wrote it so.
        segs = []
        for d, (starts, data) in enumerate(dirs):
            bounds = sorted(set(starts[1:] + [len(data)]))
            pos = 0
            for b in bounds:
                while pos < b:
                    n = min(1448, b - pos)
                    segs.append((d, pos, data[pos:pos + n]))
                    pos += n
        # Client and server take turns record by record, roughly.
        segs.sort(key=lambda s: (s[1] // 4000, s[0]))
        if mode == "syn":
            c.handshake()
            first = 0
        else:
            # The first segment captured: at a record start, or inside one,
            # past the first quarter of the conversation.
            at_start = [k for k, s in enumerate(segs) if k >= len(segs) // 4 and
                        s[1] in set(dirs[s[0]][0])]
            inside = [k for k, s in enumerate(segs) if k >= len(segs) // 4 and
                      s[1] not in set(dirs[s[0]][0])]
            first = rnd.choice(at_start if mode == "record" else inside)
            for d in (0, 1):
                # sequence numbers as if the bytes before had been sent
                before = [s for s in segs[:first] if s[0] == d]
                c.seq[d] += sum(len(s[2]) for s in before)
        for d, _pos, payload in segs[first:]:
            c.send(d, payload, dt=0.0005)
        c.close()


def tls_hello(c, rnd):
    """A ClientHello and a TLS 1.3 ServerHello (AES-128-GCM) record."""
    body = rnd.randbytes(200)
    c.send(0, b"\x16\x03\x01" + struct.pack("!H", len(body)) + body)
    sh = (b"\x02\x00\x00\x56\x03\x03" + rnd.randbytes(32) + b"\x20" + rnd.randbytes(32) +
          b"\x13\x01\x00\x00\x2e\x00\x2b\x00\x02\x03\x04\x00\x33\x00\x24\x00\x1d\x00\x20" +
          rnd.randbytes(32))
    c.send(1, b"\x16\x03\x03" + struct.pack("!H", len(sh)) + sh)


def tls_hostile_length(out, scale=1):
    rnd = random.Random(13201)
    p = Pcap(out)
    for i in range(300):
        c = late_conn(p, rnd, i, (443, 8883))
        c.t = T0 + i * 0.01
        c.handshake()
        tls_hello(c, rnd)
        for d in (0, 1):
            c.send(d, b"\x17\x03\x03\xff\xff" + rnd.randbytes(1443), dt=0.0001)
            for _ in range(44):
                c.send(d, rnd.randbytes(1448), dt=0.0001)
        c.close()


def tls_endless_handshake(out, scale=1):
    rnd = random.Random(13202)
    p = Pcap(out)
    flows = [late_conn(p, rnd, i, (443, 8883)) for i in range(300)]
    for c in flows:
        c.handshake()
    for k in range(40):
        for c in flows:
            for d in (0, 1):
                n = rnd.randint(1, 16384)
                data = b"\x16\x03\x03" + struct.pack("!H", n) + rnd.randbytes(n)
                for at in range(0, len(data), 1448):
                    c.send(d, data[at:at + 1448], dt=0.00001)


def tls_ping_flood(out, scale=1):
    rnd = random.Random(13203)
    p = Pcap(out)
    flows = [late_conn(p, rnd, i, (8883,)) for i in range(200)]
    t = T0
    for c in flows:
        c.t = t = t + 0.001
        c.handshake()
        tls_hello(c, rnd)
        c.send(0, b"\x17\x03\x03\x00\x35" + rnd.randbytes(53))  # Finished
        c.send(0, b"\x17\x03\x03\x00\x3c" + rnd.randbytes(60))  # CONNECT
        c.send(1, b"\x17\x03\x03\x00\x15" + rnd.randbytes(21))  # CONNACK
    ping = b"\x17\x03\x03\x00\x13"
    for k in range(1100):
        t += 5.0
        for c in flows:
            c.t = t
            c.send(0, ping + rnd.randbytes(19), dt=0.0001)
            c.send(1, ping + rnd.randbytes(19), dt=0.0001)
    for c in flows:
        c.close()


def tls_syn(out, scale=1):
    tls_flows(out, "syn", scale)


def tls_late_record(out, scale=1):
    tls_flows(out, "record", scale)


def tls_late_mid(out, scale=1):
    tls_flows(out, "mid", scale)


def ws_frame(payload, opcode, mask_key=None):
    n = len(payload)
    b1 = 0x80 if mask_key else 0
    if n < 126:
        hdr = bytes([0x80 | opcode, b1 | n])
    elif n < 65536:
        hdr = bytes([0x80 | opcode, b1 | 126]) + struct.pack("!H", n)
    else:
        hdr = bytes([0x80 | opcode, b1 | 127]) + struct.pack("!Q", n)
    if not mask_key:
        return hdr + payload
    return hdr + mask_key + bytes(b ^ mask_key[i & 3] for i, b in enumerate(payload))


def ws_binary_late(out, scale=1):
    rnd = random.Random(13201)
    p = Pcap(out)
    flows = [late_conn(p, rnd, i, (80, 443, 8080, 9001, 3000)) for i in range(500)]
    t = T0
    for _ in range(40 * scale):
        for c in flows:
            d = rnd.getrandbits(1)
            key = rnd.randbytes(4) if d == 0 else None
            kind = rnd.random()
            if kind < 0.6:
                payload = rnd.randbytes(rnd.randint(1, 200) if rnd.random() < 0.8
                                        else rnd.randint(200, 1400))
                frame_ = ws_frame(payload, 2, key)
            elif kind < 0.9:
                payload = ('{"id":%d,"op":"update","value":%f}'
                           % (rnd.randint(0, 99999), rnd.random())).encode()
                frame_ = ws_frame(payload, 1, key)
            else:
                frame_ = ws_frame(rnd.randbytes(rnd.randint(0, 8)), 9 + d, key)
            c.t = t = t + 0.00005
            c.send(d, frame_, dt=0)


# ------------------------------------------------------------ one-sided --

def one_sided(out, scale=1):
    """Each connection keeps pinging every 5 s (keepalive 5)."""
    p = Pcap(out)
    n_pings = 6 * scale
    mk = lambda i, port: Conn(p, client=(bytes([10, 0, 1, i]), 41000 + i),
                              server=(bytes([10, 0, 0, 1]), port),
                              isn_c=100000 * i, isn_s=7000000 * i + 5)
    # client to server from the SYN, over TCP
    c = mk(1, 1883)
    c.seg(0, SYN, advance=1)
    c.seg(0, ACK)
    c.send(0, CONNECT)
    for _ in range(n_pings):
        c.send(0, PINGREQ, dt=5.0)
    c.send(0, DISCONNECT, dt=1.0)
    c.seg(0, FIN | ACK, advance=1)
    # client to server joined late, TCP and WebSocket
    for i, (port, wrap) in enumerate(((1883, lambda b: b), (8080, ws_client)), 2):
        c = mk(i, port)
        c.t = T0 + i
        for _ in range(n_pings):
            c.send(0, wrap(PINGREQ), dt=5.0)
    # server to client joined late, TCP and WebSocket
    for i, (port, wrap) in enumerate(((1883, lambda b: b), (8080, ws_server)), 4):
        c = mk(i, port)
        c.t = T0 + i
        for _ in range(n_pings):
            c.send(1, wrap(PINGRESP), dt=5.0)


# ---------------------------------------------------------- resync-busy --

def almost_mqtt(rnd, size):
    """Valid MQTT fixed headers chained to the end but one byte: the last
    packet's length runs one byte past the segment."""
    out = bytearray()
    while len(out) < size - 40:
        if rnd.random() < 0.5:
            out += PINGREQ
        else:
            body = b"\x00\x01t" + rnd.randbytes(rnd.randint(0, 30))
            out += bytes([0x30, len(body)]) + body
    body = b"\x00\x01t" + rnd.randbytes(rnd.randint(0, 30))
    return bytes(out) + bytes([0x30, len(body) + 1]) + body


HUGE_WS_HEADER = b"\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff" + MASK


def almost_ws(rnd, size):
    """Masked WebSocket frames of whole MQTT packets, chained to the end but
    one byte: the last frame declares one byte more than the segment holds."""
    out = bytearray()
    while len(out) < size - 40:
        out += ws_client(PINGREQ if rnd.random() < 0.5 else
                         bytes([0x30, 5]) + b"\x00\x01t" + rnd.randbytes(2))
    last = ws_client(PINGREQ)
    return bytes(out) + bytes([last[0], last[1] + 1]) + last[2:]


def resync_busy(out, scale=1):
    rnd = random.Random(13301)
    p = Pcap(out)
    n = 5000 * scale
    # MQTT over TCP: a hole, then almost-proofs, then a proof.
    a = mqtt_session(p)
    a.seq[0] += 1000  # the hole
    for _ in range(n):
        a.send(0, almost_mqtt(rnd, 1400), dt=0.0001)
    a.send(0, PINGREQ, dt=0.5)
    a.send(1, PINGRESP)
    a.send(0, DISCONNECT)
    a.close()
    # MQTT over WebSocket: a hole, then frame headers of 2^63-1 bytes and
    # segments of whole frames but the last.
    b = Conn(p, client=(bytes([10, 0, 0, 3]), 50003), server=(bytes([10, 0, 0, 1]), 8080))
    b.t = a.t + 1
    b.handshake()
    b.send(0, WS_REQUEST)
    b.send(1, WS_RESPONSE)
    b.send(0, ws_client(CONNECT))
    b.send(1, ws_server(CONNACK))
    b.seq[0] += 1000
    for k in range(n):
        b.send(0, HUGE_WS_HEADER if k % 2 else almost_ws(rnd, 1400), dt=0.0001)
    b.send(0, ws_client(PINGREQ), dt=0.5)
    b.send(1, ws_server(PINGRESP))
    b.send(0, ws_client(DISCONNECT))
    b.close()
    # Joined late: every segment an almost-proof, over TCP and WebSocket.
    for i, make in ((4, lambda k: almost_mqtt(rnd, 1400)),
                    (5, lambda k: HUGE_WS_HEADER if k % 2 else ws_client(almost_mqtt(rnd, 120)))):
        c = Conn(p, client=(bytes([10, 0, 0, i]), 50000 + i), isn_c=4242 * i, isn_s=77 * i)
        c.t = b.t + i
        for k in range(n):
            c.send(k % 2, make(k), dt=0.0001)
def deflated(data, zeros=0):
    """One permessage-deflate message as a sender compresses it (RFC 7692
    §7.2.1): raw DEFLATE, a sync flush, its 00 00 ff ff cut off; `data`,
    then `zeros` zero bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [c.compress(data)]
    block = bytes(1 << 20)
    for _ in range(zeros >> 20):
        out.append(c.compress(block))
    out.append(c.flush(zlib.Z_SYNC_FLUSH))
    body = b"".join(out)
    assert body.endswith(b"\x00\x00\xff\xff")
    return body[:-4]


def ws_deflated(payload, client):
    """A binary frame with RSV1 (a compressed message), masked from the client."""
    n = len(payload)
    mask_bit = 0x80 if client else 0
    if n < 126:
        hdr = b"\xc2" + bytes([mask_bit | n])
    elif n < 65536:
        hdr = b"\xc2" + bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        hdr = b"\xc2" + bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not client:
        return hdr + payload
    return hdr + MASK + bytes(b ^ MASK[i & 3] for i, b in enumerate(payload))


def ws_deflate_bomb(out):
    p = Pcap(out)
    c = Conn(p)
    c.handshake()
    c.send(0, WS_REQUEST.replace(b"\r\n\r\n",
                                 b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"))
    c.send(1, WS_RESPONSE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: "
                                  b"permessage-deflate; client_no_context_takeover\r\n\r\n"))
    c.send(0, ws_client(CONNECT))
    c.send(1, ws_server(CONNACK))
    bomb = ws_deflated(deflated(b"\x30\xff\xff\xff\x7f\x00\x01t", 256 << 20), client=True)
    for at in range(0, len(bomb), 32000):
        c.send(0, bomb[at:at + 32000], dt=0.0001)
    c.send(0, ws_deflated(deflated(PINGREQ), client=True), dt=1.0)
    c.send(1, ws_deflated(deflated(PINGRESP), client=False))
    c.send(0, ws_deflated(deflated(DISCONNECT), client=True))
    c.close()


CASES = {
    "syn-flood": syn_flood,
    "ws-huge-frame": ws_huge_frame,
    "mqtt-rl-max": mqtt_rl_max,
    "mqtt-rl-max-body": mqtt_rl_max_body,
    "seq-wrap-jump": seq_wrap_jump,
    "overlap-retrans": overlap_retrans,
    "time-backwards": time_backwards,
    "snaplen-64": snaplen_64,
    "pcapng-unknown": pcapng_unknown,
    "ooo-flood": ooo_flood,
    "http-header-flood": http_header_flood,
    "random-late": random_late,
    "tls-syn": tls_syn,
    "tls-late-record": tls_late_record,
    "tls-late-mid": tls_late_mid,
    "tls-hostile-length": tls_hostile_length,
    "tls-endless-handshake": tls_endless_handshake,
    "tls-ping-flood": tls_ping_flood,
    "ws-binary-late": ws_binary_late,
    "one-sided": one_sided,
    "resync-busy": resync_busy,
    "ws-deflate-bomb": ws_deflate_bomb,
}
SCALED = {"random-late", "tls-syn", "tls-late-record", "tls-late-mid", "ws-binary-late",
          "one-sided", "resync-busy"}


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
        return 0
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in CASES or \
            (len(sys.argv) == 4 and sys.argv[1] not in SCALED):
        sys.stderr.write(__doc__)
        return 2
    case, path = sys.argv[1], sys.argv[2]
    kw = {"scale": int(sys.argv[3])} if len(sys.argv) == 4 else {}
    if path == "-":
        out = sys.stdout.buffer
        CASES[case](out, **kw)
        out.flush()
    else:
        with open(path, "wb") as out:
            CASES[case](out, **kw)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # mqttka stopped reading (it failed): its exit status tells the test.
        sys.exit(1)
