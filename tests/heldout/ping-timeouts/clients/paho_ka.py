"""python3-paho-mqtt client for tests/heldout/ping-timeouts: connects over plain TCP, subscribes,
then does nothing but keep the connection alive with loop_forever() (paho's own loop, as most
applications run it). When paho gives up on the connection it logs and exits, so there is no
reconnect. Log lines: "<epoch> <message>", paho's on_log included.

    /usr/bin/python3 paho_ka.py --ka 5 --id NAME --log FILE [--port 1883]
"""
import argparse, os, sys, time
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=1883)
ap.add_argument("--ka", type=int, required=True)
ap.add_argument("--id", required=True)
ap.add_argument("--log", required=True)
a = ap.parse_args()
out = open(a.log, "a", buffering=1)


def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))


def on_connect(c, u, flags, rc):
    log("CONNACK rc=%d" % rc)
    c.subscribe("ka/" + a.id)


def on_disconnect(c, u, rc):
    log("ON_DISCONNECT rc=%d (%s)" % (rc, mqtt.error_string(rc)))
    out.flush()
    os._exit(0)


c = mqtt.Client(client_id=a.id, protocol=mqtt.MQTTv311)
c.on_connect = on_connect
c.on_disconnect = on_disconnect
c.on_log = lambda cl, u, level, buf: log("LOG " + buf)
import paho.mqtt
log("START paho %s ka=%d" % (getattr(paho.mqtt, "__version__", "?"), a.ka))
c.connect(a.host, a.port, keepalive=a.ka)
c.loop_forever()
log("END loop_forever returned")
