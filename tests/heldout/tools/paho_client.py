"""paho python client for the held-out captures (tests/heldout/make-verdicts.sh).

Logs "<epoch> <message>" lines: paho's own on_log ("PAHO Sending PINGREQ", ...), CONNACK,
ON_DISCONNECT rc, LOCAL_ADDR/LOCAL_PORT, and the END line of the scenario. Run it with
Debian's /usr/bin/python3 (python3-paho-mqtt 1.6.1).

--end exit      the process exits (os._exit) DURATION s after CONNACK: the kernel closes the
                socket (FIN), no DISCONNECT, no WebSocket Close.
--end stall     after the STALL_AFTER-th PINGREQ has been written, the process stops itself
                (SIGSTOP) while the PINGRESP is in flight; the script sends SIGCONT later. On
                resume the keepalive check (loop_misc) runs before the socket is read, as in an
                application whose own event loop calls paho's loop_misc on a timer: paho finds
                its PINGREQ older than the keepalive, closes the socket, rc 16.
--end pingdisc  right after the PINGDISC_AFTER-th PINGREQ has been written, DISCONNECT.
--end hold      stay connected until killed.
"""
import argparse, os, signal, sys, time
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=1882)
ap.add_argument("--transport", default="websockets", choices=["websockets", "tcp"])
ap.add_argument("--ka", type=int, default=5)
ap.add_argument("--client-id", default="")
ap.add_argument("--sub", action="append", default=[])
ap.add_argument("--pub", action="append", default=[], help="AT:TOPIC:SIZE:QOS (AT s after CONNACK)")
ap.add_argument("--duration", type=float, default=10.0, help="seconds after CONNACK; <0: no limit")
ap.add_argument("--end", default="disconnect", choices=["disconnect", "exit", "hold", "stall", "pingdisc"])
ap.add_argument("--stall-after", type=int, default=1)
ap.add_argument("--pingdisc-after", type=int, default=1)
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))

st = {"connected": False, "gone": False, "ping_written": False, "pings": 0}
c = mqtt.Client(client_id=a.client_id, clean_session=True, transport=a.transport)
if a.transport == "websockets":
    c.ws_set_options(path="/mqtt")
def on_log(cl, ud, level, buf):
    log("PAHO " + buf)
    if buf.startswith("Sending PINGREQ"):
        st["ping_written"] = True   # paho logs, then writes the packet in the same call
c.on_log = on_log
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

log("START pid=%d" % os.getpid())
c.connect(a.host, a.port, keepalive=a.ka)
s = c.socket()
s = getattr(s, "_socket", s)
la = s.getsockname()
log("LOCAL_ADDR %s LOCAL_PORT %d" % (la[0], la[1]))
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
    if st["ping_written"]:
        st["ping_written"] = False
        st["pings"] += 1
        if a.end == "stall" and st["pings"] == a.stall_after:
            log("SELF_STOP after PINGREQ %d" % st["pings"])
            os.kill(os.getpid(), signal.SIGSTOP)
            log("RESUMED")
            c.loop_misc()
        elif a.end == "pingdisc" and st["pings"] == a.pingdisc_after:
            log("END pingdisc: DISCONNECT right after PINGREQ %d" % st["pings"])
            c.disconnect()
if st["gone"]:
    log("END gone")
    for _ in range(20):
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
