"""paho python client for the held-out TLS captures (tests/heldout/make-tls.sh).

Like tests/heldout/tools/paho_client.py, with TLS: an ssl.SSLContext that trusts the script's
throwaway CA and writes the session secrets to --keylog (SSLContext.keylog_filename, NSS key log
format), handed to paho with tls_set_context(). Logs "<epoch> <message>" lines: paho's own on_log
("PAHO Sending PINGREQ", ...), CONNACK, ON_DISCONNECT, LOCAL_ADDR/LOCAL_PORT, TLS_INFO (what the
ssl module reports after the handshake: SSLSocket.version(), .cipher(), .server_hostname) and the
END line. Run it with Debian's /usr/bin/python3 (python3-paho-mqtt 1.6.1).

--tls off|1.2|1.3  off: cleartext (the twin captures). 1.2: maximum_version TLSv1_2 and
                   set_ciphers(--ciphers). 1.3: minimum_version TLSv1_3; Python has no API for the
                   TLS 1.3 suites, so the caller picks one with OPENSSL_CONF (Ciphersuites =).
--end disconnect   DISCONNECT DURATION s after CONNACK.
--end exit         the process exits (os._exit) DURATION s after CONNACK: the kernel closes the
                   socket (FIN), no DISCONNECT, no TLS close_notify, no WebSocket Close.
--end hold         stay connected; when paho gives the connection up (rc 16 on a frozen broker)
                   the process ends.
"""
import argparse, os, ssl, sys, time
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=8883)
ap.add_argument("--transport", default="tcp", choices=["websockets", "tcp"])
ap.add_argument("--tls", default="off", choices=["off", "1.2", "1.3"])
ap.add_argument("--ciphers", default="")
ap.add_argument("--cafile", default="")
ap.add_argument("--keylog", default="")
ap.add_argument("--ka", type=int, default=5)
ap.add_argument("--client-id", default="")
ap.add_argument("--sub", action="append", default=[])
ap.add_argument("--pub", action="append", default=[], help="AT:TOPIC:SIZE:QOS (AT s after CONNACK)")
ap.add_argument("--duration", type=float, default=10.0, help="seconds after CONNACK; <0: no limit")
ap.add_argument("--end", default="disconnect", choices=["disconnect", "exit", "hold"])
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))

st = {"connected": False, "gone": False}
c = mqtt.Client(client_id=a.client_id, clean_session=True, transport=a.transport)
if a.transport == "websockets":
    c.ws_set_options(path="/mqtt")
ctx = None
if a.tls != "off":
    ctx = ssl.create_default_context(cafile=a.cafile)
    if a.keylog:
        ctx.keylog_filename = a.keylog
    if a.tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if a.ciphers:
            ctx.set_ciphers(a.ciphers)
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    c.tls_set_context(ctx)
c.on_log = lambda cl, ud, level, buf: log("PAHO " + buf)
def on_connect(cl, ud, flags, rc):
    log("CONNACK rc=%d" % rc)
    st["connected"] = True
    for t in a.sub:
        cl.subscribe(t, qos=1)
def on_disconnect(cl, ud, rc):
    if not st["gone"]:
        log("ON_DISCONNECT rc=%d (%s)" % (rc, mqtt.error_string(rc)))
    st["gone"] = True
def on_message(cl, ud, m):
    log("MESSAGE topic=%s len=%d" % (m.topic, len(m.payload)))
c.on_connect, c.on_disconnect, c.on_message = on_connect, on_disconnect, on_message

log("START pid=%d paho-mqtt %s %s" % (os.getpid(), mqtt.__version__ if hasattr(mqtt, "__version__") else "", ssl.OPENSSL_VERSION))
c.connect(a.host, a.port, keepalive=a.ka)
s = c.socket()
s = getattr(s, "_socket", s)       # paho's WebsocketWrapper holds the (TLS) socket
la = s.getsockname()
log("LOCAL_ADDR %s LOCAL_PORT %d" % (la[0], la[1]))
if isinstance(s, ssl.SSLSocket):
    name, proto, bits = s.cipher()
    ids = {d["name"]: d["id"] & 0xFFFF for d in ctx.get_ciphers()}
    log("TLS_INFO version=%s cipher=%s cipher_id=0x%04x bits=%d sni=%s" % (
        s.version(), name, ids.get(name, 0), bits, s.server_hostname or ""))
while not st["connected"] and not st["gone"]:
    c.loop(0.05)
t0 = time.time()
pubs = []
for p in a.pub:
    at, topic, size, qos = p.split(":")
    pubs.append([float(at), topic, int(size), int(qos), False])
while not st["gone"]:
    el = time.time() - t0
    for p in pubs:
        if not p[4] and el >= p[0]:
            p[4] = True
            c.publish(p[1], (b"mqttka-heldout-" * (p[2] // 15 + 1))[: p[2]], qos=p[3])
            log("PUBLISH_CALLED topic=%s len=%d qos=%d" % (p[1], p[2], p[3]))
    if a.duration >= 0 and el >= a.duration and a.end in ("disconnect", "exit"):
        break
    c.loop(0.02)
if st["gone"]:
    log("END gone")
    for _ in range(10):
        c.loop(0.05)
    sys.exit(0)
if a.end == "disconnect":
    log("END disconnect")
    c.disconnect()
    for _ in range(40):
        if st["gone"]:
            break
        c.loop(0.05)
    log("END done")
elif a.end == "exit":
    log("END exit (no DISCONNECT, process exits, kernel closes the socket)")
    out.flush()
    os._exit(0)
