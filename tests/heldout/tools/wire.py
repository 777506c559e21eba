"""What is on the wire of a capture, as tshark decodes it (independent of mqttka).

tshark (Wireshark 4.0) does TCP reassembly, the HTTP Upgrade and the WebSocket layer (frames
reassembled across segments, payloads unmasked) with `-d tcp.port==1882,http`; it does not hand
WebSocket payloads to its MQTT dissector, so the MQTT packets inside WebSocket are read here from
tshark's unmasked binary payloads, chained by their fixed headers per direction (MQTT.js splits
one packet over several WebSocket frames). Plain TCP (port 1883) uses tshark's own MQTT dissector.

A packet belongs to the frame that carries its last byte.
"""
import collections, subprocess

WS_PORTS = {1882}
MQTT_TCP_PORTS = {1883}
NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
         8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}
FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.dstport",
          "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len",
          "websocket.opcode", "data.data", "mqtt.msgtype"]

Frame = collections.namedtuple("Frame", "num ts stream src sport dport syn ack fin rst tcplen ws_opcodes ws_data mqtt_types")


def tshark_frames(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==1882,http", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    frames = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        if v[2] == "":
            continue
        frames.append(Frame(int(v[0]), float(v[1]), int(v[2]), v[3] or v[4], int(v[5]), int(v[6]),
                            v[7] in ("1", "True"), v[8] in ("1", "True"), v[9] in ("1", "True"), v[10] in ("1", "True"),
                            int(v[11] or 0),
                            [int(x) for x in v[12].split(",")] if v[12] else [],
                            v[13].split(",") if v[13] else [],
                            [int(x) for x in v[14].split(",")] if v[14] else []))
    return frames


class Stream:
    def __init__(self, sid):
        self.sid = sid
        self.client = None          # (addr, port)
        self.server_port = None
        self.frames = []            # frame numbers
        self.packets = []           # (frame, ts, dir 'c2s'/'s2c', type)
        self.closes = []            # (frame, ts, side, 'fin'/'rst')
        self.syn_frame = None
        self.transport = None

    def side(self, fr):
        return "c2s" if fr.sport == self.client[1] and fr.dport == self.server_port else "s2c"


def decode(pcap):
    frames = tshark_frames(pcap)
    streams = {}
    buf = collections.defaultdict(bytes)
    for fr in frames:
        st = streams.get(fr.stream)
        if st is None:
            st = streams[fr.stream] = Stream(fr.stream)
            if fr.syn and not fr.ack:
                st.client, st.server_port = (fr.src, fr.sport), fr.dport
            elif fr.syn:
                st.client, st.server_port = (None, fr.dport), fr.sport
            elif fr.dport in WS_PORTS | MQTT_TCP_PORTS:
                st.client, st.server_port = (fr.src, fr.sport), fr.dport
            else:
                st.client, st.server_port = (None, fr.dport), fr.sport
            st.transport = "websocket" if st.server_port in WS_PORTS else "tcp"
        if st.client[0] is None and fr.sport == st.client[1]:
            st.client = (fr.src, fr.sport)
        if fr.syn and not fr.ack:
            st.syn_frame = fr.num
        st.frames.append(fr.num)
        d = st.side(fr)
        if fr.fin or fr.rst:
            if not any(c[2] == ("client" if d == "c2s" else "server") for c in st.closes):
                st.closes.append((fr.num, fr.ts, "client" if d == "c2s" else "server", "rst" if fr.rst else "fin"))
        if st.transport == "websocket":
            di = 0
            for op in fr.ws_opcodes:
                if op in (0, 2):
                    if di < len(fr.ws_data):
                        buf[(st.sid, d)] += bytes.fromhex(fr.ws_data[di])
                    di += 1
            b = buf[(st.sid, d)]
            while True:
                if len(b) < 2:
                    break
                rl, mul, i = 0, 1, 1
                ok = False
                while i < len(b) and i <= 4:
                    rl += (b[i] & 0x7F) * mul
                    mul *= 128
                    i += 1
                    if b[i - 1] & 0x80 == 0:
                        ok = True
                        break
                if not ok or len(b) < i + rl:
                    break
                st.packets.append((fr.num, fr.ts, d, b[0] >> 4))
                b = b[i + rl:]
            buf[(st.sid, d)] = b
        else:
            for t in fr.mqtt_types:
                st.packets.append((fr.num, fr.ts, d, t))
    return frames, streams


def ping_pairs(st, kept=None):
    """FIFO pairing of PINGREQ (c2s) with PINGRESP (s2c) over the whole stream.
    Returns (pingreqs, pingresps, unanswered) restricted to frames in `kept` (None: all);
    a PINGREQ counts as unanswered when no PINGRESP followed it on the whole capture."""
    outstanding, answered = [], set()
    reqs = [p for p in st.packets if p[2] == "c2s" and p[3] == 12]
    for p in st.packets:
        if p[2] == "c2s" and p[3] == 12:
            outstanding.append(p)
        elif p[2] == "s2c" and p[3] == 13 and outstanding:
            answered.add(outstanding.pop(0))
    keep = (lambda f: True) if kept is None else (lambda f: f in kept)
    nreq = sum(1 for p in reqs if keep(p[0]))
    nresp = sum(1 for p in st.packets if p[2] == "s2c" and p[3] == 13 and keep(p[0]))
    unans = sum(1 for p in reqs if keep(p[0]) and p not in answered)
    return nreq, nresp, unans


if __name__ == "__main__":
    import sys
    _, streams = decode(sys.argv[1])
    for st in streams.values():
        print(st.sid, st.client, st.server_port, st.transport, ping_pairs(st), st.closes,
              collections.Counter((p[2], NAMES.get(p[3], p[3])) for p in st.packets))
