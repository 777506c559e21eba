#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut out of the captures in samples/.

    fuzz/make_seeds.py [SAMPLES_DIR [CORPUS_DIR]]

defaults: samples/ and fuzz/corpus/ beside this script. Writes, per sample:

  capture/       the capture itself, and a pcapng copy of the small ones
                 (the reader's two formats)
  analyzer/      its TCP segments in fuzz_analyzer.c's record format
                 (first 4 flows); the same joined late (its first third of
                 records left out, so no SYN and no handshake: the probe and
                 resynchronisation) and lossy (one segment with data left
                 out in each direction: a hole); plus synthetic scenarios no
                 sample has (MQTT 5 DISCONNECT reason, permessage-deflate,
                 WebSocket Ping/Pong and Close)
  boundary/      each segment's payload (first 24 with data), behind
                 fuzz_boundary.c's settings byte (the mask its direction
                 needs, or either; RSV1 allowed; level not known); plus
                 hostile ones (a frame declaring 2^63-1 bytes, TLS records,
                 a chain broken at its last byte)
  http_upgrade/  each WebSocket request and response header block
  tls_records/   each direction of the first flows of the held-out TLS
                 captures (tests/heldout/tls: TLS 1.2 and 1.3, mqtts and
                 wss, KeyUpdate, heartbeats, HTTPS), behind
                 fuzz_tls_records.c's settings byte; plus hostile ones (a
                 record declaring 65535 bytes, a handshake that never ends)
  ws_decoder/    each direction of each WebSocket after the handshake,
                 behind fuzz_ws_decoder.c's settings byte
  mqtt_decoder/  each direction's MQTT byte stream (plain TCP, or the
                 unmasked WebSocket payload), behind fuzz_mqtt_decoder.c's
                 settings byte
  ws_inflate/    each direction's compressed messages of a WebSocket with
                 permessage-deflate, in fuzz_ws_inflate.c's format (settings
                 from the 101); plus messages compressed here with zlib
                 (context takeover or not, a small window, a bomb)

Streams are cut at STREAM_MAX bytes: the fuzzer mutates short inputs faster,
and the samples' large PUBLISH bodies add no coverage past their first bytes.
Deterministic: the same samples always give the same files, so the corpus
can be regenerated and diffed. Python 3 standard library only.
"""
import os
import re
import struct
import sys
import zlib

STREAM_MAX = 8192
ANALYZER_MAX = 32768
PCAPNG_MAX = 16384

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def read_pcap(path):
    """(linktype, [(ts_us, frame_bytes)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    pos, records = 24, []
    while pos + 16 <= len(data):
        sec, frac, caplen, _wire = struct.unpack(e + "IIII", data[pos:pos + 16])
        pos += 16
        frame = data[pos:pos + caplen]
        pos += caplen
        records.append((sec * 1000000 + (frac // 1000 if nano else frac), frame))
    return linktype, records


def tcp_of(frame):
    """(src, dst, sport, dport, seq, ack, flags, payload) of an Ethernet frame, or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
        etype = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800:
        ihl = (frame[off] & 0x0F) * 4
        total = struct.unpack("!H", frame[off + 2:off + 4])[0]
        if frame[off + 9] != 6:
            return None
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        tcp = frame[off + ihl:off + total]
    elif etype == 0x86DD:
        plen = struct.unpack("!H", frame[off + 4:off + 6])[0]
        if frame[off + 6] != 6:
            return None
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        tcp = frame[off + 40:off + 40 + plen]
    else:
        return None
    sport, dport, seq, ack = struct.unpack("!HHII", tcp[:12])
    doff = (tcp[12] >> 4) * 4
    return src, dst, sport, dport, seq, ack, tcp[13] & 0x1F, tcp[doff:]


class Flow:
    def __init__(self, client):
        self.client = client          # (addr, port) of the side that spoke first
        self.isn = [None, None]       # by direction: 0 client -> server
        self.data = [{}, {}]          # seq -> payload

    def stream(self, d):
        """The in-order bytes of a direction (first copy of each byte wins)."""
        if self.isn[d] is None:
            return b""
        nxt, out = (self.isn[d] + 1) & 0xFFFFFFFF, bytearray()
        pending = dict(self.data[d])
        while True:
            hit = None
            for seq, p in pending.items():
                rel = (nxt - seq) & 0xFFFFFFFF
                if rel < len(p):
                    hit = seq
                    break
            if hit is None:
                return bytes(out)
            p = pending.pop(hit)
            out += p[(nxt - hit) & 0xFFFFFFFF:]
            nxt = (hit + len(p)) & 0xFFFFFFFF


def flows_of(records):
    flows, order = {}, []
    for ts, frame in records:
        t = tcp_of(frame)
        if not t:
            continue
        src, dst, sport, dport, seq, ack, flags, payload = t
        key = frozenset([(src, sport), (dst, dport)])
        if key not in flows:
            client = (src, sport) if not (flags & SYN and flags & ACK) else (dst, dport)
            flows[key] = Flow(client)
            order.append(key)
        f = flows[key]
        d = 0 if (src, sport) == f.client else 1
        if flags & SYN:
            f.isn[d] = seq
        elif f.isn[d] is None:
            f.isn[d] = (seq - 1) & 0xFFFFFFFF
        if payload:
            f.data[d].setdefault(seq, payload)
    return [flows[k] for k in order], order


def header_block(stream):
    end = stream.find(b"\r\n\r\n")
    return stream[:end + 4] if end >= 0 else None


def ws_payload(stream):
    """Unmasked payload of the data frames of a WebSocket byte stream."""
    out, pos = bytearray(), 0
    while pos + 2 <= len(stream):
        b0, b1 = stream[pos], stream[pos + 1]
        n, pos = b1 & 0x7F, pos + 2
        if n == 126:
            n, pos = struct.unpack("!H", stream[pos:pos + 2])[0], pos + 2
        elif n == 127:
            n, pos = struct.unpack("!Q", stream[pos:pos + 8])[0], pos + 8
        mask = None
        if b1 & 0x80:
            mask, pos = stream[pos:pos + 4], pos + 4
        body = stream[pos:pos + n]
        pos += n
        if mask:
            body = bytes(c ^ mask[i & 3] for i, c in enumerate(body))
        if (b0 & 0x0F) in (0, 1, 2):
            out += body
    return bytes(out)


def ws_messages(stream):
    """(compressed, payload) of each data message of a WebSocket byte stream
    (continuation frames joined; RSV1 on the first frame marks it
    compressed)."""
    out, cur, rsv1, pos = [], None, False, 0
    while pos + 2 <= len(stream):
        b0, b1 = stream[pos], stream[pos + 1]
        n, pos = b1 & 0x7F, pos + 2
        if n == 126:
            n, pos = struct.unpack("!H", stream[pos:pos + 2])[0], pos + 2
        elif n == 127:
            n, pos = struct.unpack("!Q", stream[pos:pos + 8])[0], pos + 8
        mask = None
        if b1 & 0x80:
            mask, pos = stream[pos:pos + 4], pos + 4
        body = stream[pos:pos + n]
        pos += n
        if mask:
            body = bytes(c ^ mask[i & 3] for i, c in enumerate(body))
        opcode = b0 & 0x0F
        if opcode in (1, 2):
            cur, rsv1 = bytearray(body), bool(b0 & 0x40)
        elif opcode == 0 and cur is not None:
            cur += body
        else:
            continue
        if b0 & 0x80:
            out.append((rsv1, bytes(cur)))
            cur = None
    return out


def inflate_settings(resp, sender):
    """fuzz_ws_inflate.c's settings byte for `sender` ("client" or "server")
    from a 101's permessage-deflate parameters."""
    ext = resp.lower()
    m = re.search(sender.encode() + rb"_max_window_bits=\"?(\d+)", ext)
    bits = int(m.group(1)) if m else 15
    nct = sender.encode() + b"_no_context_takeover" in ext
    return (max(8, min(bits, 15)) - 8) | (0x08 if nct else 0)


def inflate_seed(settings, messages):
    out = bytearray([settings])
    for m in messages:
        out += struct.pack("!H", len(m)) + m
        if len(out) > STREAM_MAX:
            break
    return bytes(out)


def synthetic_inflate_seeds():
    """Messages compressed here, as senders compress them (RFC 7692 §7.2.1)."""
    msgs = [b"\x10\x10\x00\x04MQTT\x04\x02\x00\x05\x00\x04defl", b"\xc0\x00",
            b"\x30\x40\x00\x04home" + b'{"t":21.5,"unit":"C"}' * 3, b"\xc0\x00", b"\xe0\x00"]

    def compress(bits, reset, final=False):
        c, out = zlib.compressobj(6, zlib.DEFLATED, -bits), []
        for m in msgs:
            body = c.compress(m) + c.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
            out.append(body if final else body[:-4])
            if reset or final:
                c = zlib.compressobj(6, zlib.DEFLATED, -bits)
        return out
    seeds = {
        "synthetic-takeover-15": inflate_seed(7, compress(15, False)),
        "synthetic-reset-15": inflate_seed(7 | 0x08, compress(15, True)),
        "synthetic-takeover-9": inflate_seed(1, compress(9, False)),
        "synthetic-final-blocks": inflate_seed(7 | 0x08, compress(15, True, final=True)),
        "synthetic-caps": inflate_seed(7 | 0x10 | 0x20 | 0x40, compress(15, False)),
    }
    # A bomb: 1 MiB of zeros in about 1 KiB, under a 4 KiB message cap.
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = (c.compress(bytes(1 << 20)) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
    seeds["synthetic-bomb"] = inflate_seed(7 | 0x08 | 0x10, [bomb, bomb])
    return seeds


def analyzer_records(records):
    """The capture in fuzz_analyzer.c's format (4 config bytes, then records)."""
    out = bytearray([0x3F, 0xF8, 0xFF, 0x0F])  # 128 flows, 7 ooo segments, big caps
    flows, nxt, last_ts = {}, {}, None
    for ts, frame in records:
        t = tcp_of(frame)
        if not t:
            continue
        src, dst, sport, dport, seq, ack, flags, payload = t
        key = frozenset([(src, sport), (dst, dport)])
        if key not in flows:
            if len(flows) == 4:
                continue
            client = (src, sport) if not (flags & SYN and flags & ACK) else (dst, dport)
            flows[key] = (len(flows), client, {})
        idx, client, isn = flows[key]
        d = 0 if (src, sport) == client else 1
        if d not in isn:
            isn[d] = seq if flags & SYN else (seq - 1) & 0xFFFFFFFF
            # fuzz_analyzer.c's ISNs; its "next" starts there as well
            nxt[(idx, d)] = isn_of(idx, d)
        rel = (seq - isn[d]) & 0xFFFFFFFF
        target = (isn_of(idx, d) + rel) & 0xFFFFFFFF
        mode = 0 if target == nxt[(idx, d)] else 3
        dt = 0 if last_ts is None else max(-32768, min(32767, (ts - last_ts) // 1000))
        last_ts = ts if last_ts is None else last_ts + dt * 1000
        payload = payload[:255]
        out += bytes([idx | d << 2 | mode << 3, flags]) + struct.pack("<h", dt)
        out += bytes([len(payload), 0])
        if mode == 3:
            out += struct.pack("<I", rel)
        out += payload
        end = (target + len(payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)) & 0xFFFFFFFF
        if ((end - nxt[(idx, d)]) & 0xFFFFFFFF) < 0x80000000:
            nxt[(idx, d)] = end
        if len(out) > ANALYZER_MAX:
            break
    return bytes(out)


def isn_of(flow, d):
    return (0xFFFFFF00 - flow * 0x1000) if d else (1000 + flow * 0x100000)


def late_records(records):
    """The capture as if it had started a third of the way in."""
    return records[len(records) // 3:]


def lossy_records(records):
    """The capture less the middle segment with data of each direction
    (direction as told by the port numbers: the lower one is the server's)."""
    carrying = {0: [], 1: []}
    for i, (_ts, frame) in enumerate(records):
        t = tcp_of(frame)
        if t and t[7]:
            carrying[0 if t[2] > t[3] else 1].append(i)
    drop = {v[len(v) // 2] for v in carrying.values() if len(v) >= 3}
    return [r for i, r in enumerate(records) if i not in drop]


BOUNDARY_PER_SAMPLE = 24
BOUNDARY_EITHER, BOUNDARY_RSV1 = 2, 4


def boundary_seeds(records):
    """(name suffix, input) for fuzz_boundary.c: segment payloads."""
    out = []
    for _ts, frame in records:
        t = tcp_of(frame)
        if not t or not t[7]:
            continue
        # client to server (the higher port) masks
        mask = 1 if t[2] > t[3] else 0
        out.append((len(out), bytes([mask | BOUNDARY_RSV1]) + t[7][:STREAM_MAX]))
        if len(out) == BOUNDARY_PER_SAMPLE:
            break
    return out


def synthetic_boundary_seeds():
    """Inputs that keep the proofs busy or sit at their edges."""
    either = BOUNDARY_EITHER | BOUNDARY_RSV1
    huge = b"\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04"
    pings = b"\xc0\x00" * 200
    return {
        "ws-huge-2p63-1": bytes([1]) + huge + b"\x00" * 16,
        "ws-huge-unmasked": bytes([0]) + b"\x82\x7f\x7f" + b"\xff" * 7 + b"\xc0\x00",
        "tls-handshake": bytes([either]) + b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03",
        "tls-appdata": bytes([either]) + b"\x17\x03\x03\x00\x08" + bytes(range(8)),
        "mqtt-chain-broken-last": bytes([either | 8 * 2]) + pings + b"\xc0",
        "mqtt-pings": bytes([either | 8 * 2]) + pings,
        "mqtt5-auth-disconnect": bytes([either | 8 * 3]) + b"\xf0\x00\xe0\x02\x8d\x00",
        "ws-ping-pong-close": bytes([0]) + b"\x89\x01x\x8a\x00\x88\x02\x03\xe8",
        "ws-fragmented": bytes([0]) + b"\x02\x02\xc0\x00\x80\x02\xd0\x00",
        "ws-deflate": bytes([1 | BOUNDARY_RSV1]) + b"\xc2\x83\x00\x00\x00\x00\x01\x02\x03",
        # a PUBACK, then a PUBLISH of 200 bytes whose two length bytes the
        # first cut points of check_split fall between (a head of 1-3 bytes)
        "mqtt-split-header": bytes([either]) + b"\x40\x02\x00\x01\x32\xc8\x01\x00\x01t\x00\x01"
        + b"\xab" * 195,
    }


def pcapng(linktype, records):
    """The same records as a pcapng file (SHB, IDB, EPBs), little-endian."""
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 262144))
    for ts, frame in records:
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    return out


class SegmentWriter:
    """fuzz_analyzer.c's record format, for scenarios no sample has."""

    def __init__(self):
        self.out = bytearray([0x3F, 0xF8, 0xFF, 0x0F])

    def rec(self, d, flags, payload=b"", dt_ms=1, flow=0):
        self.out += bytes([flow | d << 2, flags]) + struct.pack("<h", dt_ms)
        self.out += bytes([len(payload), 0]) + payload

    def open(self, flow=0):
        self.rec(0, SYN, flow=flow)
        self.rec(1, SYN | ACK, flow=flow)
        self.rec(0, ACK, flow=flow)

    def close(self, first=0, flow=0):
        self.rec(first, FIN | ACK, flow=flow)
        self.rec(1 - first, FIN | ACK, flow=flow)


WS_REQ = (b"GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n"
          b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
WS_101 = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n")


def ws_c(payload, opcode=2, rsv=0):
    """A client frame with the mask key 0 (payload as is), up to 125 bytes."""
    return bytes([0x80 | rsv << 4 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def ws_s(payload, opcode=2, rsv=0):
    return bytes([0x80 | rsv << 4 | opcode, len(payload)]) + payload


def synthetic_analyzer_seeds():
    """Scenarios the samples lack: MQTT 5 with Server Keep Alive and a
    DISCONNECT reason, permessage-deflate, WebSocket Ping/Pong and Close."""
    seeds = {}
    # MQTT 5 over TCP: CONNECT KA 10 with a property, CONNACK with Server
    # Keep Alive 5 (0x13), pings, the server's DISCONNECT 0x8D.
    w = SegmentWriter()
    w.open()
    w.rec(0, PSH | ACK, b"\x10\x13\x00\x04MQTT\x05\x02\x00\x0a\x05\x11\x00\x00\x00\x3c\x00\x01c")
    w.rec(1, PSH | ACK, b"\x20\x06\x00\x00\x03\x13\x00\x05")
    for _ in range(3):
        w.rec(0, PSH | ACK, b"\xc0\x00", dt_ms=5000)
        w.rec(1, PSH | ACK, b"\xd0\x00", dt_ms=3)
    w.rec(1, PSH | ACK, b"\xe0\x02\x8d\x00", dt_ms=9000)
    w.close(first=1)
    seeds["synthetic-mqtt5-disconnect-8d"] = bytes(w.out)
    # WebSocket with permessage-deflate: a compressed (RSV1) message, then
    # WebSocket Ping/Pong, and a Close with code 1001 and a reason.
    w = SegmentWriter()
    w.open()
    w.rec(0, PSH | ACK, WS_REQ[:200])
    w.rec(0, PSH | ACK, WS_REQ[200:])
    w.rec(1, PSH | ACK, WS_101[:180])
    w.rec(1, PSH | ACK, WS_101[180:] + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
    w.rec(0, PSH | ACK, ws_c(b"\x10\x10\x00\x04MQTT\x04\x02\x00\x05\x00\x04defl"))
    w.rec(1, PSH | ACK, ws_s(b"\x20\x02\x00\x00"))
    w.rec(0, PSH | ACK, ws_c(b"\x32\x00\x01\x02", rsv=4), dt_ms=1000)
    w.rec(1, PSH | ACK, ws_s(b"ping!", opcode=9), dt_ms=1000)
    w.rec(0, PSH | ACK, ws_c(b"ping!", opcode=10))
    w.rec(0, PSH | ACK, ws_c(b"\xc0\x00"), dt_ms=4000)
    w.rec(1, PSH | ACK, ws_s(b"\x03\xe9going away", opcode=8), dt_ms=3000)
    w.rec(0, PSH | ACK, ws_c(b"\x03\xe9", opcode=8))
    w.close(first=1)
    seeds["synthetic-ws-deflate-close-1001"] = bytes(w.out)
    return seeds


def tls_record_seeds(tls_dir):
    """fuzz_tls_records.c seeds from real TLS captures, and hostile ones."""
    seeds = {}
    if os.path.isdir(tls_dir):
        for name in sorted(os.listdir(tls_dir)):
            if not name.endswith(".pcap") or name.startswith("clear-") or not name.endswith("s1.pcap"):
                continue
            _, records = read_pcap(os.path.join(tls_dir, name))
            flows, _ = flows_of(records)
            for i, f in enumerate(flows[:2]):
                for d in (0, 1):
                    stream = f.stream(d)
                    if stream[:1] in (b"\x16", b"\x17"):
                        seeds["%s-%d-%s" % (name[:-5], i, ("c2s", "s2c")[d])] = \
                            bytes([(i + d) & 3]) + stream[:STREAM_MAX]
    rec = lambda t, n, fill=0x5a: bytes([t, 3, 3, n >> 8, n & 255]) + bytes([fill]) * n
    seeds["synthetic-hostile-length"] = b"\x02" + rec(23, 19) + b"\x17\x03\x03\xff\xff" + bytes(3000)
    seeds["synthetic-longest-record"] = b"\x03" + rec(23, 18432) + rec(23, 19)
    seeds["synthetic-endless-handshake"] = b"\x05" + b"".join(rec(22, 1 + 97 * k % 4000, k) for k in range(40))
    seeds["synthetic-pings-capped"] = b"\x05" + rec(23, 60) + rec(23, 21) + \
        b"".join(rec(23, 19, k) + rec(24, 19) for k in range(200))
    return seeds


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    samples = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "samples")
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "corpus")
    for name, data in synthetic_analyzer_seeds().items():
        write(os.path.join(corpus, "analyzer", name), data)
    for name, data in synthetic_boundary_seeds().items():
        write(os.path.join(corpus, "boundary", "synthetic-" + name), data)
    for name, data in synthetic_inflate_seeds().items():
        write(os.path.join(corpus, "ws_inflate", name), data)
    for name, data in tls_record_seeds(os.path.join(here, "..", "tests", "heldout", "tls")).items():
        write(os.path.join(corpus, "tls_records", name), data)
    for name in sorted(os.listdir(samples)):
        if not name.endswith(".pcap"):
            continue
        base = name[:-5]
        path = os.path.join(samples, name)
        with open(path, "rb") as f:
            raw = f.read()
        linktype, records = read_pcap(path)
        write(os.path.join(corpus, "capture", base + ".pcap"), raw)
        if len(raw) <= PCAPNG_MAX:
            write(os.path.join(corpus, "capture", base + ".pcapng"), pcapng(linktype, records))
        write(os.path.join(corpus, "analyzer", base), analyzer_records(records))
        write(os.path.join(corpus, "analyzer", base + "-late"),
              analyzer_records(late_records(records)))
        write(os.path.join(corpus, "analyzer", base + "-lossy"),
              analyzer_records(lossy_records(records)))
        for i, data in boundary_seeds(records):
            write(os.path.join(corpus, "boundary", "%s-%02d" % (base, i)), data)
        flows, _ = flows_of(records)
        for i, f in enumerate(flows):
            c2s, s2c = f.stream(0), f.stream(1)
            tag = "%s-%d" % (base, i)
            req, resp = header_block(c2s), header_block(s2c)
            if req and req.startswith(b"GET "):
                write(os.path.join(corpus, "http_upgrade", tag + "-request"), req)
                if resp:
                    write(os.path.join(corpus, "http_upgrade", tag + "-response"), resp)
                if resp and resp.startswith(b"HTTP/1.1 101"):
                    ws_c, ws_s = c2s[len(req):], s2c[len(resp):]
                    deflate = b"permessage-deflate" in resp.lower()
                    flag = 2 if deflate else 0
                    write(os.path.join(corpus, "ws_decoder", tag + "-c2s"), bytes([1 | flag]) + ws_c[:STREAM_MAX])
                    write(os.path.join(corpus, "ws_decoder", tag + "-s2c"), bytes([flag]) + ws_s[:STREAM_MAX])
                    if deflate:
                        for d, who, stream in ((0, "client", ws_c), (1, "server", ws_s)):
                            msgs = [m for z, m in ws_messages(stream) if z]
                            write(os.path.join(corpus, "ws_inflate", tag + ("-c2s", "-s2c")[d]),
                                  inflate_seed(inflate_settings(resp, who), msgs))
                    c2s, s2c = ws_payload(ws_c), ws_payload(ws_s)
                else:
                    continue
            elif not c2s.startswith(b"\x10"):
                continue
            # Level from the CONNECT (byte 8 after 00 04 MQTT, 10 after MQIsdp).
            level = 4
            if len(c2s) > 12 and c2s[4:8] == b"MQTT":
                level = c2s[8]
            settings = (60 << 2) | {0: 0, 3: 1, 4: 2, 5: 3}.get(level, 2)  # max_keep 1020
            write(os.path.join(corpus, "mqtt_decoder", tag + "-c2s"), bytes([settings]) + c2s[:STREAM_MAX])
            write(os.path.join(corpus, "mqtt_decoder", tag + "-s2c"), bytes([settings]) + s2c[:STREAM_MAX])


if __name__ == "__main__":
    main()
