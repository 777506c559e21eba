#!/usr/bin/python3
"""Ground truth (.facts) of the held-out TLS captures, from the plan and the programs' own logs.

    truth_tls.py mqtt --plan PLAN.json --work DIR --mosq-log LOG --pcap X.pcap [--keys X.keys] --out X.facts

Sources, per connection (never mqttka):
- the plan (plan_tls.py): client, transport, keepalive, client id, scenario;
- the client's log: its local address and port; what TLS it negotiated, as the TLS library told
  the client (Python ssl: SSLSocket.version()/cipher()/server_hostname; Node: getProtocol()/
  getCipher()/servername; libmosquitto: OpenSSL's SSL_get_version()/SSL_get_current_cipher()/
  SSL_get_servername() through keylog_shim.so); PINGREQs sent and PINGRESPs received (paho's
  on_log, MQTT.js packetsend/packetreceive, mosquitto_sub/_pub -d); how it ended (DISCONNECT,
  exit, paho rc 16, MQTT.js "Keepalive timeout", libmosquitto closing its socket);
- mosquitto's log: PINGRESPs it sent, and the keepalive drops of frozen clients;
- the script's own times (broker or client SIGSTOPped).
tshark's decryption of the capture with the key log (wire_tls.py) gives the wire_* lines (counts
on the wire, who sent FIN/RST first, who sent a TLS close_notify, the handshake's version, suite
and SNI), and `close_how` fin/rst; the script warns where the wire and the logs disagree.
"""
import argparse, json, os, re, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire_tls  # noqa: E402

IANA = dict(wire_tls.SUITES)
OPENSSL_TO_IANA = {"ECDHE-RSA-AES128-GCM-SHA256": 0xC02F, "ECDHE-RSA-AES256-GCM-SHA384": 0xC030,
                   "ECDHE-RSA-CHACHA20-POLY1305": 0xCCA8, "TLS_AES_128_GCM_SHA256": 0x1301,
                   "TLS_AES_256_GCM_SHA384": 0x1302, "TLS_CHACHA20_POLY1305_SHA256": 0x1303}
WARN = []


def warn(msg):
    WARN.append(msg)
    print("truth_tls: warning: " + msg, file=sys.stderr)


def lines(path):
    try:
        return open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        return []


def ts_first(ls, pat):
    for l in ls:
        if re.search(pat, l):
            return float(l.split(" ", 1)[0])
    return None


def ts_last(ls, pat):
    t = None
    for l in ls:
        if re.search(pat, l):
            t = float(l.split(" ", 1)[0])
    return t


def count(ls, pat):
    return sum(1 for l in ls if re.search(pat, l))


def dur(a, b):
    return "" if a is None or b is None else "%.3f" % (b - a)


PATS = {  # client -> (pingreq sent, pingresp received, publish sent, publish received, connack, disconnect sent)
    "paho-python": ("PAHO Sending PINGREQ", "PAHO Received PINGRESP", "PAHO Sending PUBLISH", "PAHO Received PUBLISH",
                    "CONNACK rc=", "PAHO Sending DISCONNECT"),
    "mqtt.js": (" SEND pingreq$", " RECV pingresp$", " SEND publish$", " RECV publish$", "RECV connack", " SEND disconnect$"),
    "mosquitto_sub": ("sending PINGREQ", "received PINGRESP", "sending PUBLISH", "received PUBLISH", "received CONNACK", "sending DISCONNECT"),
}
PATS["mosquitto_pub"] = PATS["mosquitto_sub"]


def versions():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:
            return "?"
    mq = run(["sh", "-c", "mosquitto -h | sed -n 's/^mosquitto version //p' | head -1"])
    paho = run(["/usr/bin/python3", "-c", "import paho.mqtt, ssl; print(paho.mqtt.__version__, '|', ssl.OPENSSL_VERSION)"])
    node = run(["node", "-p", "process.version + ' | OpenSSL ' + process.versions.openssl"])
    mqttjs = run(["node", "-p", "require('%s/node_modules/mqtt/package.json').version" % os.environ.get("TLS_WORK", ".")])
    sysssl = run(["openssl", "version"])
    return ("mosquitto %s (libwebsockets TLS listener for 8084), mosquitto_sub/_pub %s on %s; paho-python %s; "
            "MQTT.js %s on node %s" % (mq, mq, sysssl, paho, mqttjs, node))


def out_sni(out, p):
    return next((l.split("=", 1)[1] for l in out if l.startswith(p + "sni=")), "")


def mqtt_truth(a):
    plan = json.load(open(a.plan))
    name, scn, mode = plan["name"], plan["scenario"], plan["mode"]
    W = os.path.join(a.work, name)
    mosq = lines(a.mosq_log)
    streams = wire_tls.decode(a.pcap, a.keys)
    by_port = {st.client[1]: st for st in streams.values()}
    out = []
    fact = lambda k, v: out.append("%s=%s" % (k, v))
    out.append("# %s.pcap: written by tests/heldout/make-tls.sh (tls/tools/truth_tls.py) from the plan and the clients' and" % name)
    out.append("# broker's own logs; wire_* lines from tshark's decryption with the key log (tls/tools/wire_tls.py)")
    out.append("# generated %s; %s" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), versions()))
    desc = {
        "healthy": "12 clients, keepalive 2..10 (mosquitto_sub/_pub 5..10), healthy PINGREQ/PINGRESP pairs and a few PUBLISHes, "
                   "then DISCONNECT 2.3..3.6 x KA after CONNACK",
        "exit": "12 clients, keepalive 2..10 (mosquitto_sub/_pub 5..10); each process exits at a seeded moment 0.5..3.5 x KA "
                "after CONNACK (no DISCONNECT, no TLS close_notify, no WebSocket Close: the kernel closes the socket)",
        "frozen-broker": "12 clients, keepalive 2..5 (mosquitto_sub/_pub 5..6); mosquitto SIGSTOPped 6..9 s after the last CONNACK; "
                         "each client's next PINGREQ goes unanswered and the client gives up (paho rc 16 KA after it, MQTT.js 5 "
                         "'Keepalive timeout' KA/2 after it, libmosquitto about KA after it); mosquitto resumed after the capture",
        "frozen-client": "12 clients, keepalive 2..5 (mosquitto_sub/_pub 5..6); each client process SIGSTOPped a seeded 3..8 s after "
                         "the last client's CONNACK (client_frozen_after_s: from its own); mosquitto drops it for keepalive, with "
                         "TLS close_notify and FIN (broker_drop_after_last_client_packet_s: its log has 1 s resolution); clients "
                         "SIGKILLed after the capture stopped",
    }[scn]
    out.append("# " + desc)
    if mode == "tls":
        out.append("# TLS: 8883 mqtts, 8084 MQTT over WebSocket over TLS; one connection per (transport, TLS version, cipher);")
        out.append("# key log: %s.keys (decrypt: tshark -r %s.pcap -o tls.keylog_file:%s.keys -d tcp.port==8084,tls)" % (name, name, name))
    else:
        out.append("# the cleartext twin of %s.pcap: same plan (clients, keepalives, times), TLS off: 1883 for 8883, 1882 for 8084" % plan["twin"])
    out.append("# wire_*: tshark's decryption and decode of this capture (tls/tools/wire_tls.py), not the clients' logs")
    fact("class", "%s-%s" % (mode, scn))
    fact("seed", plan["seed"])
    fact("connections", len(plan["conns"]))
    fact("tls", "yes" if mode == "tls" else "no")
    if mode == "tls":
        fact("keylog", name + ".keys")
    fact("twin", plan["twin"])
    t_broker_stop = None
    if scn == "frozen-broker":
        t_broker_stop = float(open(W + ".broker_stopped").read().strip())
    for c in plan["conns"]:
        i = c["i"]
        p = "conn%d." % i
        L = lines("%s.c%d.log" % (W, i))
        S = lines("%s.c%d.log.shim" % (W, i))
        cl = c["client"]
        pat = PATS[cl]
        fact(p + "client", cl)
        fact(p + "transport", c["transport"])
        fact(p + "server_port", c["port"])
        if c["transport"] == "websocket":
            fact(p + "ws_path", "/mqtt")
        fact(p + "mqtt_version", c["mqtt_version"])
        fact(p + "keepalive", c["ka"])
        fact(p + "client_id", c["client_id"])
        # the local address and port, as the client reported them
        addr = port = None
        for l in L:
            m = re.search(r"LOCAL_ADDR (\S+) LOCAL_PORT (\d+)", l)
            if m:
                addr, port = m.group(1), int(m.group(2))
                break
        if port is None:
            for l in S:
                m = re.search(r"TCP_CONNECT local_addr=(\S+) local_port=(\d+) remote_port=%d" % c["port"], l)
                if m:
                    addr, port = m.group(1), int(m.group(2))
                    break
        fact(p + "client_addr", addr or "")
        fact(p + "client_port", port or "")
        # TLS, as the client's TLS library reported it
        if c["tls"] != "off":
            info = None
            for l in L + S:
                if " TLS_INFO " in l:
                    info = dict(kv.split("=", 1) for kv in l.split(" TLS_INFO ", 1)[1].split() if "=" in kv)
                    info.setdefault("sni", "")
                    break
            if info is None:
                warn("%s conn%d: no TLS_INFO in the client's log" % (name, i))
                info = {}
            cid = info.get("cipher_id")
            cid = int(cid, 16) if cid else OPENSSL_TO_IANA.get(info.get("cipher", ""), 0)
            iana = info.get("standard_name") or IANA.get(cid, "")
            fact(p + "tls_version", info.get("version", ""))
            fact(p + "tls_cipher", iana)
            fact(p + "tls_cipher_openssl", info.get("cipher", ""))
            fact(p + "tls_cipher_id", "0x%04x" % cid if cid else "")
            sni = info.get("sni", "")
            if cl == "paho-python" and re.match(r"^[0-9.]+$|:", sni):
                sni = ""    # SSLSocket.server_hostname is the host given; Python sends no SNI for an IP address
            fact(p + "sni", sni)
            fact(p + "tls_info_from", {"paho-python": "python ssl SSLSocket.version()/cipher()/server_hostname",
                                       "mqtt.js": "node TLSSocket getProtocol()/getCipher()/servername"}.get(
                                           cl, "OpenSSL SSL_get_version()/SSL_get_current_cipher()/SSL_get_servername() (keylog_shim.so)"))
            if info.get("version") != ("TLSv1.2" if c["tls"] == "1.2" else "TLSv1.3") or info.get("cipher") != c["cipher_openssl"]:
                warn("%s conn%d: planned %s %s, the client reports %s %s" % (name, i, c["tls"], c["cipher_openssl"],
                                                                           info.get("version"), info.get("cipher")))
        nreq, nresp = count(L, pat[0]), count(L, pat[1])
        fact(p + "client_pingreq_sent", nreq)
        fact(p + "client_pingresp_received", nresp)
        fact(p + "client_publish_sent", count(L, pat[2]))
        fact(p + "client_publish_received", count(L, pat[3]))
        fact(p + "broker_pingresp_sent", count(mosq, r"Sending PINGRESP to %s$" % re.escape(c["client_id"])))
        t_conn = ts_first(L, pat[4])
        t_lastping = ts_last(L, pat[0])
        st = by_port.get(port)
        w = wire_tls.summary(st) if st else None
        if w is None:
            warn("%s conn%d: client port %s not in the capture" % (name, i, port))
        first = w["first_close"] if w else "none"
        # how it ended
        if scn == "healthy":
            ok = count(L, pat[5]) > 0
            if not ok:
                warn("%s conn%d: the client's log shows no DISCONNECT" % (name, i))
            fact(p + "true_cause", "disconnect")
            fact(p + "closed_by", "client")
            fact(p + "close_how", "disconnect")
            fact(p + "expected_verdict", "mqtt_disconnect")
            fact(p + "verdicts_consistent", "mqtt_disconnect")
            fact(p + "disconnect_after_connack_s", dur(t_conn, ts_first(L, pat[5])))
        elif scn == "exit":
            t_exit = ts_first(L, r"END exit")
            fact(p + "true_cause", "process_exit")
            fact(p + "planned_exit_after_connack_s", c["duration"])
            fact(p + "exit_after_connack_s", dur(t_conn, t_exit))
            fact(p + "last_pingreq_to_close_s", dur(t_lastping, t_exit))
            fact(p + "closed_by", "client")
            if first == "client-rst":
                fact(p + "close_how", "rst")
                fact(p + "expected_verdict", "reset")
                fact(p + "verdicts_consistent", "reset")
                fact(p + "note", "the kernel sent RST (unread data in the socket when the process exited): tshark")
            else:
                if first != "client-fin":
                    warn("%s conn%d: first close on the wire is %s" % (name, i, first))
                fact(p + "close_how", "fin")
                fact(p + "expected_verdict", "client_closed")
                fact(p + "verdicts_consistent", "client_closed")
        elif scn == "frozen-broker":
            if cl == "paho-python":
                why = next((l.split(" ", 1)[1] for l in L if "ON_DISCONNECT" in l), "")
                t_close = ts_first(L, "ON_DISCONNECT")
                gave_up = "rc=16" in why
            elif cl == "mqtt.js":
                why = next((l.split(" ", 1)[1] for l in L if " ERROR " in l), "")
                t_close = ts_first(L, " ERROR | CLOSE$")
                gave_up = "Keepalive timeout" in why
            else:
                t_close = ts_first(S, "TCP_CLOSE")
                why = "libmosquitto closed its socket %s s after its last PINGREQ with %d PINGRESP missing (%s)" % (
                    dur(t_lastping, t_close), nreq - nresp, "keylog_shim.so TCP_CLOSE")
                gave_up = t_close is not None and nreq > nresp
            fact(p + "true_cause", "ping_timeout_broker_frozen" if gave_up else "other")
            fact(p + "client_log_close", why)
            fact(p + "broker_frozen_at_s_after_connack", dur(t_conn, t_broker_stop))
            fact(p + "last_pingreq_to_close_s", dur(t_lastping, t_close))
            fact(p + "closed_by", "client")
            if not gave_up:
                warn("%s conn%d: the client's log does not show a ping timeout (%s)" % (name, i, why))
            if first == "client-rst":
                fact(p + "close_how", "rst")
                fact(p + "expected_verdict", "reset")
                fact(p + "verdicts_consistent", "reset,client_closed_missing_pingresp")
            else:
                if first != "client-fin":
                    warn("%s conn%d: first close on the wire is %s" % (name, i, first))
                fact(p + "close_how", "fin")
                fact(p + "expected_verdict", "client_closed_missing_pingresp")
                fact(p + "verdicts_consistent", "client_closed_missing_pingresp")
        else:  # frozen-client
            t_stop = float(open("%s.c%d.log.stopped" % (W, i)).read().strip())
            drop = next((l for l in mosq if re.search(r"%s (has exceeded timeout|closed its connection)" % re.escape(c["client_id"]), l)), "")
            t_drop = float(drop.split(":", 1)[0]) if drop else None
            t_lastpkt = max([t for t in (ts_last(L, pat[0]), ts_last(L, r" SEND | PAHO Sending |sending "), t_conn) if t] or [0])
            fact(p + "true_cause", "broker_keepalive_client_frozen")
            fact(p + "client_frozen_after_s", dur(t_conn, t_stop))
            fact(p + "broker_log_drop", drop.split(": ", 1)[1] if drop else "")
            fact(p + "broker_drop_after_last_client_packet_s", dur(t_lastpkt, t_drop))
            fact(p + "closed_by", "server")
            if first not in ("server-fin", "server-rst"):
                warn("%s conn%d: first close on the wire is %s" % (name, i, first))
            fact(p + "close_how", first.split("-")[1] if first.startswith("server-") else "fin")
            fact(p + "expected_verdict", "server_closed_keepalive")
            fact(p + "verdicts_consistent", "server_closed_keepalive")
        fact(p + "twin_conn", "%s conn%d" % (plan["twin"], i))
        if w:
            fact(p + "wire_pingreq", w["pingreq"])
            fact(p + "wire_pingresp", w["pingresp"])
            fact(p + "wire_pingreq_unanswered", w["unanswered"])
            fact(p + "wire_first_close", w["first_close"])
            fact(p + "wire_mqtt_packets", w["mqtt_packets"])
            if st.tls:
                fact(p + "wire_close_notify", w["close_notify"])
                fact(p + "wire_tls_version", w["version"])
                fact(p + "wire_tls_cipher", w["cipher"])
                fact(p + "wire_sni", w["sni"])
            if st.tls and c["tls"] != "off" and w["sni"] != out_sni(out, p):
                warn("%s conn%d: the client's SNI is %r, the ClientHello's %r" % (name, i, out_sni(out, p), w["sni"]))
            if w["pingreq"] != nreq:
                warn("%s conn%d: the client's log says %d PINGREQ sent, tshark sees %d" % (name, i, nreq, w["pingreq"]))
            if w["mqtt_packets"] == 0:
                warn("%s conn%d: tshark decodes no MQTT packet" % (name, i))
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    return 0


def simple_truth(a):
    """captures whose clients wrote their own connection lines (--conns): HTTPS, key update, heartbeat"""
    streams = wire_tls.decode(a.pcap, a.keys)
    by_port = {st.client[1]: st for st in streams.values()}
    conns = [dict(kv.split("=", 1) for kv in l.split() if "=" in kv) for l in lines(a.conns) if l.strip()]
    out = ["# %s: written by tests/heldout/make-tls.sh (tls/tools/truth_tls.py) from what the programs themselves logged;" % os.path.basename(a.pcap),
           "# wire_* lines from tshark's decryption with the key log (tls/tools/wire_tls.py)",
           "# generated %s; %s" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), versions())]
    out += ["# " + n for n in a.note]
    fact = lambda k, v: out.append("%s=%s" % (k, v))
    fact("class", a.cls)
    fact("seed", a.seed)
    fact("connections", len(conns))
    fact("tls", "yes")
    fact("keylog", os.path.basename(a.keys))
    fact("mqtt", "yes" if a.mqtt else "no")
    if not a.mqtt:
        fact("expected_verdict", "none")
    for i, c in enumerate(conns, 1):
        p = "conn%d." % i
        if c.get("client", "").startswith("python") and re.match(r"^[0-9.]+$", c.get("sni", "")):
            c["sni"] = ""   # SSLSocket.server_hostname is the host given; Python sends no SNI for an IP address
        for k, v in c.items():
            fact(p + k, v)
        port = c.get("client_port", "")
        st = by_port.get(int(port)) if port.isdigit() else None
        if st is None:
            warn("%s conn%d: client port %s not in the capture" % (a.cls, i, port))
            continue
        w = wire_tls.summary(st)
        if a.mqtt:
            fact(p + "wire_pingreq", w["pingreq"])
            fact(p + "wire_pingresp", w["pingresp"])
            fact(p + "wire_pingreq_unanswered", w["unanswered"])
            fact(p + "wire_mqtt_packets", w["mqtt_packets"])
            if str(w["pingreq"]) != c.get("client_pingreq_sent", str(w["pingreq"])):
                warn("%s conn%d: the client's log says %s PINGREQ sent, tshark sees %d" % (a.cls, i, c.get("client_pingreq_sent"), w["pingreq"]))
        fact(p + "wire_first_close", w["first_close"])
        fact(p + "wire_close_notify", w["close_notify"])
        fact(p + "wire_tls_version", w["version"])
        fact(p + "wire_tls_cipher", w["cipher"])
        fact(p + "wire_sni", w["sni"])
        fact(p + "wire_tls13_keyupdates", w["keyupdates"])
        fact(p + "wire_tls_heartbeats", w["heartbeats"])
        if c.get("tls_version") and (w["version"] != c["tls_version"] or w["cipher"] != c.get("tls_cipher")):
            warn("%s conn%d: the client reports %s %s, the handshake shows %s %s" % (a.cls, i, c["tls_version"], c.get("tls_cipher"), w["version"], w["cipher"]))
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["mqtt", "simple"])
    ap.add_argument("--conns")
    ap.add_argument("--class", dest="cls")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--mqtt", action="store_true")
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--plan")
    ap.add_argument("--work")
    ap.add_argument("--mosq-log")
    ap.add_argument("--pcap")
    ap.add_argument("--keys")
    ap.add_argument("--out")
    a = ap.parse_args()
    rc = mqtt_truth(a) if a.what == "mqtt" else simple_truth(a)
    if WARN:
        with open(a.out, "a") as f:
            for w in WARN:
                f.write("# warning: %s\n" % w)
    return rc


if __name__ == "__main__":
    sys.exit(main())
