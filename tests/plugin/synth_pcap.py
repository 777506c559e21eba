#!/usr/bin/env python3
"""Synthetic captures for the plugin tests.

Each scenario is written as a classic pcap (Ethernet, IPv4, TCP) with exact
sequence numbers, so Wireshark's TCP and WebSocket dissectors see a clean
stream. These captures test what the recorded samples cannot pin down: an
MQTT CONNECT split over two WebSocket messages, several MQTT packets in one
message, MQTT over WebSocket and over plain TCP on ports nobody registered,
and non-MQTT HTTP / WebSocket traffic that the plugin must leave alone.

    synth_pcap.py OUTDIR        writes every scenario into OUTDIR
"""
import base64
import hashlib
import os
import struct
import sys

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Pcap:
    def __init__(self):
        self.records = []

    def add(self, ts, frame):
        self.records.append((ts, frame))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for ts, frame in self.records:
                sec = int(ts)
                usec = int(round((ts - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Flow:
    """One TCP connection; `send` moves the clock and the sequence numbers."""

    def __init__(self, pcap, cli, srv, t0):
        self.p = pcap
        self.ep = [cli, srv]  # (ip bytes, port)
        self.seq = [1000, 50000]
        self.t = t0
        self.ipid = 1

    def _frame(self, d, flags, payload):
        (sip, sport), (dip, dport) = self.ep[d], self.ep[1 - d]
        ack = self.seq[1 - d] if flags & ACK else 0
        tcp = struct.pack("!HHIIBBHHH", sport, dport, self.seq[d] & 0xFFFFFFFF, ack,
                          5 << 4, flags, 65535, 0, 0)
        pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        c = csum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), self.ipid,
                         0x4000, 64, 6, 0, sip, dip)
        self.ipid += 1
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = bytes([2, 0, 0, 0, 0, 2 - d]) + bytes([2, 0, 0, 0, 0, 1 + d]) + b"\x08\x00"
        return eth + ip + tcp + payload

    def pkt(self, d, flags, payload=b"", dt=0.0001):
        self.t += dt
        self.p.add(self.t, self._frame(d, flags, payload))
        self.seq[d] += len(payload) + (1 if flags & (SYN | FIN) else 0)
        self.last = (d, flags, payload)

    def retransmit(self, dt=0.2):
        """Sends the last segment again, same sequence number."""
        d, flags, payload = self.last
        self.seq[d] -= len(payload)
        self.pkt(d, flags, payload, dt)

    def open(self):
        self.pkt(0, SYN)
        self.pkt(1, SYN | ACK)
        self.pkt(0, ACK)

    def send(self, d, payload, dt=0.001):
        self.pkt(d, PSH | ACK, payload, dt)

    def close(self, d, dt=0.001):
        self.pkt(d, FIN | ACK, b"", dt)
        self.pkt(1 - d, FIN | ACK)
        self.pkt(d, ACK)


def ip(s):
    return bytes(int(x) for x in s.split("."))


def varlen(n):
    out = b""
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def mqtt(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + varlen(len(body)) + body


def mstr(s):
    return struct.pack("!H", len(s)) + s


def connect(keepalive, client_id=b"synth", level=4):
    name = b"MQIsdp" if level == 3 else b"MQTT"
    vh = mstr(name) + bytes([level, 0x02]) + struct.pack("!H", keepalive)
    if level == 5:
        vh += b"\x00"  # no properties
    return mqtt(1, 0, vh + mstr(client_id))


def connack(level=4):
    return mqtt(2, 0, b"\x00\x00" + (b"\x00" if level == 5 else b""))


def publish(topic, payload, level=4):
    props = b"\x00" if level == 5 else b""
    return mqtt(3, 0, mstr(topic) + props + payload)


PINGREQ = mqtt(12, 0, b"")
PINGRESP = mqtt(13, 0, b"")
DISCONNECT = mqtt(14, 0, b"")


def ws_frame(payload, opcode=2, masked=True, fin=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        hdr = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        hdr = bytes([b0, (0x80 if masked else 0) | 126]) + struct.pack("!H", n)
    else:
        hdr = bytes([b0, (0x80 if masked else 0) | 127]) + struct.pack("!Q", n)
    if not masked:
        return hdr + payload
    key = b"\x11\x22\x33\x44"
    return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def upgrade(flow, path=b"/mqtt", protocol=b"mqtt", offer=None):
    key = base64.b64encode(b"mqttka-synthetic")
    offer = protocol if offer is None else offer
    req = (b"GET " + path + b" HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
           b"Sec-WebSocket-Version: 13\r\n")
    if offer:
        req += b"Sec-WebSocket-Protocol: " + offer + b"\r\n"
    flow.send(0, req + b"\r\n")
    accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n")
    if protocol:
        resp += b"Sec-WebSocket-Protocol: " + protocol + b"\r\n"
    flow.send(1, resp + b"\r\n")


CLI, SRV = ip("10.0.0.1"), ip("10.0.0.2")
T0 = 1700000000.0


def ws_session(p, client_port, port, keepalive, client_id):
    """A flow from CLI:client_port with its handshake, CONNECT and CONNACK."""
    f = Flow(p, (CLI, client_port), (SRV, port), T0)
    f.open()
    upgrade(f)
    f.send(0, ws_frame(connect(keepalive, client_id)))
    f.send(1, ws_frame(connack(), masked=False))
    return f


def ws_split(port, protocol=b"mqtt", level=4):
    """CONNECT split over two WebSocket messages (as MQTT.js over ws does), a
    message with two MQTT packets, a PUBLISH split inside its fixed header,
    pings answered and one unanswered, then the client closes."""
    p = Pcap()
    f = Flow(p, (CLI, 40001), (SRV, port), T0)
    f.open()
    upgrade(f, protocol=protocol)
    c = connect(10, b"split-client", level)
    f.send(0, ws_frame(c[:2]))            # fixed header only
    f.send(0, ws_frame(c[2:]))            # the rest of CONNECT
    f.send(1, ws_frame(connack(level), masked=False))
    pub = publish(b"a/b", b"hello", level)
    f.send(0, ws_frame(pub + PINGREQ), dt=5.0)   # two packets in one message
    f.send(1, ws_frame(PINGRESP, masked=False), dt=0.01)
    big = publish(b"t", b"x" * 300, level)
    f.send(0, ws_frame(big[:1]), dt=5.0)  # split inside the Remaining Length
    f.send(0, ws_frame(big[1:2]))
    f.send(0, ws_frame(big[2:] + PINGREQ))
    f.send(1, ws_frame(PINGRESP, masked=False), dt=0.02)
    f.send(0, ws_frame(PINGREQ), dt=10.0)  # never answered
    f.close(0, dt=12.0)
    return p


def ws_retransmission(port):
    """A PINGREQ and a PUBLISH segment sent twice: the core and Wireshark's
    TCP dissector must both count each packet once."""
    p = Pcap()
    f = ws_session(p, 40005, port, 4, b"retrans")
    f.send(0, ws_frame(PINGREQ), dt=3.0)
    f.retransmit()
    f.send(1, ws_frame(PINGRESP, masked=False), dt=0.01)
    f.send(0, ws_frame(publish(b"r", b"twice")), dt=1.0)
    f.retransmit()
    f.send(0, ws_frame(DISCONNECT), dt=1.0)
    f.close(0)
    return p


def ws_pings(port):
    """Ping answers that share a frame with other findings. The plugin rebuilds
    pingresp_rtt from its PINGRESP instead of keeping it: it must come out
    at its place among them. A server message with a PINGREQ of its own
    first (pingreq_from_server, before the RTT), the PINGRESP, and a second
    PINGRESP (pingresp_unsolicited, after it); two PINGREQs answered in one
    message (two RTTs in one frame); a late answer (pingresp_late after the
    RTT: KAe 10 s, T_resp 5 s)."""
    p = Pcap()
    f = ws_session(p, 40006, port, 10, b"pings")
    f.send(0, ws_frame(PINGREQ), dt=5.0)
    f.send(1, ws_frame(PINGREQ + PINGRESP + PINGRESP, masked=False), dt=0.01)
    f.send(0, ws_frame(PINGREQ + PINGREQ), dt=5.0)
    f.send(1, ws_frame(PINGRESP + PINGRESP, masked=False), dt=0.01)
    f.send(0, ws_frame(PINGREQ), dt=5.0)
    f.send(1, ws_frame(PINGRESP, masked=False), dt=6.0)
    f.send(0, ws_frame(DISCONNECT), dt=1.0)
    f.close(0)
    return p


def tcp_plain(port):
    """MQTT straight over TCP on a port no dissector claims."""
    p = Pcap()
    f = Flow(p, (CLI, 40002), (SRV, port), T0)
    f.open()
    f.send(0, connect(5, b"tcp-client"))
    f.send(1, connack())
    f.send(0, PINGREQ, dt=5.0)
    f.send(1, PINGRESP, dt=0.01)
    f.send(0, DISCONNECT, dt=1.0)
    f.close(0)
    return p


def ws_not_mqtt(port):
    """A chat WebSocket: subprotocol not MQTT, text frames."""
    p = Pcap()
    f = Flow(p, (CLI, 40003), (SRV, port), T0)
    f.open()
    upgrade(f, path=b"/chat", protocol=b"chat")
    f.send(0, ws_frame(b"hello", opcode=1))
    f.send(1, ws_frame(b"hi there", opcode=1, masked=False))
    f.send(0, ws_frame(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x0a\x00\x00", opcode=2))
    f.close(0)
    return p


def http_plain(port):
    p = Pcap()
    f = Flow(p, (CLI, 40004), (SRV, port), T0)
    f.open()
    f.send(0, b"GET /index.html HTTP/1.1\r\nHost: web\r\n\r\n")
    body = b"<html>hello</html>\n"
    f.send(1, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    f.close(0)
    return p


SCENARIOS = {
    "synth-ws-split-1882": lambda: ws_split(1882),
    "synth-ws-split-80": lambda: ws_split(80),
    "synth-ws-mqttv31-9001": lambda: ws_split(9001, b"mqttv3.1", 3),
    "synth-ws-mqtt5-8080": lambda: ws_split(8080, b"mqtt", 5),
    "synth-ws-retrans-1882": lambda: ws_retransmission(1882),
    "synth-ws-pings-1882": lambda: ws_pings(1882),
    "synth-tcp-1884": lambda: tcp_plain(1884),
    "synth-ws-chat-1882": lambda: ws_not_mqtt(1882),
    "synth-ws-chat-80": lambda: ws_not_mqtt(80),
    "synth-http-80": lambda: http_plain(80),
    "synth-http-8000": lambda: http_plain(8000),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, make in SCENARIOS.items():
        make().write(os.path.join(out, name + ".pcap"))


if __name__ == "__main__":
    main()
