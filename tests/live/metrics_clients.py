# metrics_clients.py - real MQTT clients for test_metrics.sh: paho python 1.6
# connecting TIMES times, one connection after the other, each held until
# the client has had PINGS PINGRESPs (paho's own log says so), then ended
# with DISCONNECT; or, with --hold, one connection kept open (no ping with a
# long keepalive) until the process is killed (its close is then a FIN).
# Logs "<epoch> <message>" lines with paho's own.
#
#   /usr/bin/python3 metrics_clients.py --port P [--transport tcp|websockets]
#       --client-id ID [--ka 1] [--pings 2] [--times 3] [--hold] --log FILE
#
# Nothing waits for a fixed time: each step waits for what paho reports.
import argparse
import os
import sys
import time

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--transport", default="tcp", choices=["websockets", "tcp"])
ap.add_argument("--client-id", default="")
ap.add_argument("--ka", type=int, default=1)
ap.add_argument("--pings", type=int, default=2)
ap.add_argument("--times", type=int, default=1)
ap.add_argument("--hold", action="store_true")
ap.add_argument("--max-seconds", type=float, default=120.0)
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "a", buffering=1)


def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))


deadline = time.time() + a.max_seconds
log("START pid=%d" % os.getpid())
for n in range(1, a.times + 1):
    state = {"connected": False, "pingresps": 0, "gone": False}
    c = mqtt.Client(client_id=a.client_id, clean_session=True, transport=a.transport)
    if a.transport == "websockets":
        c.ws_set_options(path="/mqtt")

    def on_log(cl, ud, level, buf, state=state):
        log("PAHO " + buf)
        if buf == "Received PINGRESP":
            state["pingresps"] += 1

    def on_connect(cl, ud, flags, rc, state=state):
        log("CONNACK rc=%d" % rc)
        state["connected"] = True

    def on_disconnect(cl, ud, rc, state=state):
        log("ON_DISCONNECT rc=%d" % rc)
        state["gone"] = True

    c.on_log, c.on_connect, c.on_disconnect = on_log, on_connect, on_disconnect
    c.connect(a.host, a.port, keepalive=a.ka)
    while not state["connected"] and not state["gone"] and time.time() < deadline:
        c.loop(0.05)
    if not state["connected"]:
        log("NO CONNACK on connection %d" % n)
        sys.exit(1)
    log("CONNECTED %d" % n)
    if a.hold:
        while time.time() < deadline:
            c.loop(0.2)
        sys.exit(0)
    while state["pingresps"] < a.pings and not state["gone"] and time.time() < deadline:
        c.loop(0.05)
    if state["pingresps"] < a.pings:
        log("TOO FEW PINGRESPS on connection %d" % n)
        sys.exit(1)
    c.disconnect()
    while not state["gone"] and time.time() < deadline:
        c.loop(0.05)
    log("DISCONNECTED %d" % n)
log("END")
