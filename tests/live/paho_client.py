# paho_client.py - a real MQTT client for the live tests: paho python 1.6
# over a WebSocket, keepalive KA, holding the connection until the broker
# stops answering (paho then closes the socket about KA after its unanswered
# PINGREQ) or until killed. Logs "<epoch> <message>" lines with paho's own.
#
#   /usr/bin/python3 paho_client.py --port P --ka 2 --log FILE
import argparse
import os
import sys
import time

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--ka", type=int, default=2)
ap.add_argument("--client-id", default="mqttka-live")
ap.add_argument("--transport", default="websockets", choices=["websockets", "tcp"])
ap.add_argument("--max-seconds", type=float, default=30.0, help="give up after this long")
ap.add_argument("--publish", type=int, default=0,
                help="once connected, PUBLISH this many messages (QoS 0), one every 2 ms")
ap.add_argument("--payload-bytes", type=int, default=100)
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)


def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))


c = mqtt.Client(client_id=a.client_id, clean_session=True, transport=a.transport)
if a.transport == "websockets":
    c.ws_set_options(path="/mqtt")
c.on_log = lambda cl, ud, level, buf: log("PAHO " + buf)
state = {"gone": False, "connected": False, "published": 0}


def on_connect(cl, ud, flags, rc):
    log("CONNACK rc=%d" % rc)
    state["connected"] = rc == 0


c.on_connect = on_connect


def on_disconnect(cl, ud, rc):
    log("ON_DISCONNECT rc=%d (%s)" % (rc, mqtt.error_string(rc)))
    state["gone"] = True


c.on_disconnect = on_disconnect
log("START pid=%d" % os.getpid())
c.connect(a.host, a.port, keepalive=a.ka)
t0 = time.time()
while not state["gone"] and time.time() - t0 < a.max_seconds:
    if state["connected"] and state["published"] < a.publish:
        # Paced, so that each message is a TCP segment of its own.
        c.publish("mqttka/burst", b"x" * a.payload_bytes, qos=0)
        state["published"] += 1
        if state["published"] == a.publish:
            log("PUBLISHED %d" % a.publish)
        c.loop(0)
        time.sleep(0.002)
    else:
        c.loop(0.05)
log("END")
sys.exit(0)
