"""What is on the wire of a held-out TLS capture, as tshark 4.0 decrypts and decodes it with the
capture's key log (independent of mqttka). Used to check the design and to add wire_* lines to
the .facts (truth_tls.py), and by check_tls.py.

    tshark -r X.pcap -o tls.keylog_file:X.keys -d tcp.port==8084,tls

decrypts TLS; tshark's MQTT dissector takes 8883 (MQTT over TLS) and 1883 by itself. For
WebSocket (1882, and 8084 inside TLS) tshark does the HTTP Upgrade and the WebSocket layer
(unmasked payloads) but hands the payload to no MQTT dissector ("Data"), so, as in
tests/heldout/tools/wire.py, MQTT packets are chained by their fixed headers over those payloads
per direction. A packet belongs to the frame holding its last byte.
"""
import collections, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from wire import NAMES, ping_pairs  # noqa: E402,F401  (tests/heldout/tools/wire.py)

WS_PORTS = {1882, 8084}
MQTT_TCP_PORTS = {1883, 8883}
TLS_PORTS = {8883, 8084}
FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.dstport",
          "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len",
          "websocket.opcode", "data.data", "mqtt.msgtype",
          "tls.record.content_type", "tls.alert_message.desc", "tls.handshake.type",
          "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
          "tls.handshake.extensions.supported_version", "tls.handshake.version", "tls.record.opaque_type"]
F = {f: i for i, f in enumerate(FIELDS)}
SUITES = {0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0x1301: "TLS_AES_128_GCM_SHA256",
          0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256"}


def tshark_cmd(pcap, keys=None, extra=()):
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==1882,http", "-d", "tcp.port==8084,tls"]
    if keys:
        cmd += ["-o", "tls.keylog_file:" + keys]
    return cmd + list(extra)


def ints(v):
    out = []
    for x in v.split(",") if v else []:
        try:
            out.append(int(x, 0))
        except ValueError:
            pass
    return out


class Stream:
    def __init__(self, sid):
        self.sid = sid
        self.client = None
        self.server_port = None
        self.packets = []            # (frame, ts, 'c2s'/'s2c', type)
        self.closes = []             # (frame, ts, side, 'fin'/'rst')
        self.close_notify = []       # (frame, ts, side)
        self.alerts = []             # (frame, ts, side, desc)
        self.sni = ""
        self.cipher = None
        self.version = None
        self.tls = False
        self.transport = None
        self.first_ts = None
        self.last_ts = None
        self.syn = False
        self.keyupdates = []         # (frame, side): TLS 1.3 KeyUpdate messages (decrypted)
        self.heartbeats = []         # (frame, side): TLS heartbeat records (content type 24)

    def side(self, sport):
        return "c2s" if sport == self.client[1] else "s2c"


def decode(pcap, keys=None):
    cmd = tshark_cmd(pcap, keys, ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"])
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    streams = {}
    buf = collections.defaultdict(bytes)
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        if v[F["tcp.stream"]] == "":
            continue
        sid = int(v[F["tcp.stream"]])
        num, ts = int(v[0]), float(v[1])
        src = v[3] or v[4]
        sport, dport = int(v[5]), int(v[6])
        syn, ack = v[7] in ("1", "True"), v[8] in ("1", "True")
        fin, rst = v[9] in ("1", "True"), v[10] in ("1", "True")
        st = streams.get(sid)
        if st is None:
            st = streams[sid] = Stream(sid)
            known = WS_PORTS | MQTT_TCP_PORTS
            if (syn and not ack) or dport in known:
                st.client, st.server_port = (src, sport), dport
            else:
                st.client, st.server_port = (None, dport), sport
            st.transport = "websocket" if st.server_port in WS_PORTS else "tcp"
            st.tls = st.server_port in TLS_PORTS
            st.first_ts = ts
        st.last_ts = ts
        if syn and not ack:
            st.syn = True
        if st.client[0] is None and sport == st.client[1]:
            st.client = (src, sport)
        d = st.side(sport)
        who = "client" if d == "c2s" else "server"
        if fin or rst:
            if not any(c[2] == who for c in st.closes):
                st.closes.append((num, ts, who, "rst" if rst else "fin"))
        for desc in ints(v[F["tls.alert_message.desc"]]):
            st.alerts.append((num, ts, who, desc))
            if desc == 0:
                st.close_notify.append((num, ts, who))
        hs = ints(v[F["tls.handshake.type"]])
        for h in hs:
            if h == 24:
                st.keyupdates.append((num, who))
        for ct in ints(v[F["tls.record.content_type"]]) + ints(v[F["tls.record.opaque_type"]]):
            if ct == 24:
                st.heartbeats.append((num, who))
        if d == "c2s" and 1 in hs and v[F["tls.handshake.extensions_server_name"]]:
            st.sni = v[F["tls.handshake.extensions_server_name"]].split(",")[0]
        if d == "s2c" and 2 in hs:
            cs = ints(v[F["tls.handshake.ciphersuite"]])
            if cs:
                st.cipher = SUITES.get(cs[0], "0x%04x" % cs[0])
            sv = ints(v[F["tls.handshake.extensions.supported_version"]])
            hv = ints(v[F["tls.handshake.version"]])
            ver = sv[0] if sv else (hv[0] if hv else 0)
            st.version = {0x0304: "TLSv1.3", 0x0303: "TLSv1.2"}.get(ver, "0x%04x" % ver)
        if st.transport == "websocket":
            di = 0
            data = v[F["data.data"]].split(",") if v[F["data.data"]] else []
            for op in ints(v[F["websocket.opcode"]]):
                if op in (0, 2):
                    if di < len(data):
                        buf[(sid, d)] += bytes.fromhex(data[di])
                    di += 1
            b = buf[(sid, d)]
            while len(b) >= 2:
                rl, mul, i, ok = 0, 1, 1, False
                while i < len(b) and i <= 4:
                    rl += (b[i] & 0x7F) * mul
                    mul *= 128
                    i += 1
                    if b[i - 1] & 0x80 == 0:
                        ok = True
                        break
                if not ok or len(b) < i + rl:
                    break
                st.packets.append((num, ts, d, b[0] >> 4))
                b = b[i + rl:]
            buf[(sid, d)] = b
        else:
            for t in ints(v[F["mqtt.msgtype"]]):
                st.packets.append((num, ts, d, t))
    return streams


def summary(st):
    """One dict per stream: what the facts' wire_* lines say."""
    req, resp, un = ping_pairs(st)
    c = st.closes[0] if st.closes else None
    cn = sorted({x[2] for x in st.close_notify})
    types = collections.Counter((p[2], NAMES.get(p[3], p[3])) for p in st.packets)
    return {"client_port": st.client[1], "server_port": st.server_port, "transport": st.transport, "tls": st.tls,
            "pingreq": req, "pingresp": resp, "unanswered": un,
            "first_close": "%s-%s" % (c[2], c[3]) if c else "none",
            "close_notify": ",".join(cn) if cn else "none",
            "version": st.version or "", "cipher": st.cipher or "", "sni": st.sni,
            "mqtt_packets": sum(types.values()), "types": types,
            "keyupdates": "client:%d,server:%d" % (sum(1 for k in st.keyupdates if k[1] == "client"),
                                                    sum(1 for k in st.keyupdates if k[1] == "server")),
            "heartbeats": "client:%d,server:%d" % (sum(1 for k in st.heartbeats if k[1] == "client"),
                                                    sum(1 for k in st.heartbeats if k[1] == "server"))}


if __name__ == "__main__":
    pc = sys.argv[1]
    keys = sys.argv[2] if len(sys.argv) > 2 else (pc[:-5] + ".keys" if os.path.exists(pc[:-5] + ".keys") else None)
    for st in decode(pc, keys).values():
        s = summary(st)
        print(st.sid, {k: v for k, v in s.items() if k != "types"}, dict(s["types"]))
