# paho_client.py - a real MQTT client for the live tests: paho python 1.6
# over a WebSocket, keepalive KA, holding the connection until the broker
# stops answering (paho then closes the socket about KA after its unanswered
# PINGREQ) or until killed. Logs "<epoch> <message>" lines with paho's own.
#
#   /usr/bin/python3 paho_client.py --port P --ka 2 --log FILE
#       [--freeze-after-pingresp PID[,PID|self...]] [--pause-after-pingreq]
#       [--freeze-after-usr1 PID[,PID|self...]]
#
# The two options put the freezes the tests need at exact points of the
# conversation, whatever the machine's load. A test that waited to see the
# first PINGRESP and then sent SIGSTOP itself would race the client's next
# PINGREQ (KA later); a paho left running after its unanswered PINGREQ
# closes KA after it, racing mqttka's clock-told finding (T_resp after it).
#   --freeze-after-pingresp: as soon as paho has read the first PINGRESP,
#       SIGSTOP each PID (mosquitto) and wait until the kernel shows it
#       stopped ("FROZE" logged), then, if "self" is listed, stop this
#       process too ("PAUSED"); nothing more flows until the test says so.
#   --pause-after-pingreq: once the broker is frozen, the next PINGREQ is
#       handed to the kernel and this process stops itself ("PAUSED"), so
#       that the PINGREQ stays unanswered and nothing follows it until the
#       test continues the client (SIGCONT); paho then gives up on it.
#   --freeze-after-usr1: the same freeze as --freeze-after-pingresp, at the
#       first PINGRESP read after the process gets SIGUSR1 ("ARMED" logged):
#       a test that has seen enough pings stops the conversation at a ping
#       pair's end, with no PINGREQ in flight.
import argparse
import os
import signal
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
ap.add_argument("--freeze-after-pingresp", default="", metavar="PID[,PID|self...]")
ap.add_argument("--pause-after-pingreq", action="store_true")
ap.add_argument("--freeze-after-usr1", default="", metavar="PID[,PID|self...]")
a = ap.parse_args()

out = open(a.log, "w", buffering=1)


def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))


def pause():
    log("PAUSED")
    os.kill(os.getpid(), signal.SIGSTOP)
    log("CONTINUED")


def process_stopped(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(") ")[2][:1] in ("T", "t")
    except OSError:
        return False


def freeze(spec):
    targets = [t for t in spec.split(",") if t]
    for t in targets:
        if t != "self":
            os.kill(int(t), signal.SIGSTOP)
    give_up = time.time() + 30
    for t in targets:
        if t != "self":
            while not process_stopped(int(t)):
                if time.time() > give_up:
                    log("FREEZE FAILED: process %s did not stop" % t)
                    return
                time.sleep(0.001)
    log("FROZE %s" % ",".join(t for t in targets if t != "self"))
    if "self" in targets:
        pause()


state = {"gone": False, "frozen": False, "pingreq_after_freeze": False, "paused": False,
         "connected": False, "published": 0, "armed": False}


def arm(signum, frame):
    state["armed"] = True


if a.freeze_after_usr1:
    signal.signal(signal.SIGUSR1, arm)
c = mqtt.Client(client_id=a.client_id, clean_session=True, transport=a.transport)
if a.transport == "websockets":
    c.ws_set_options(path="/mqtt")


def on_log(cl, ud, level, buf):
    log("PAHO " + buf)
    if buf == "Received PINGRESP" and a.freeze_after_pingresp and not state["frozen"]:
        state["frozen"] = True
        freeze(a.freeze_after_pingresp)
    elif buf == "Received PINGRESP" and state["armed"] and not state["frozen"]:
        state["frozen"] = True
        log("ARMED")
        freeze(a.freeze_after_usr1)
    elif buf == "Sending PINGREQ" and state["frozen"]:
        state["pingreq_after_freeze"] = True


c.on_log = on_log


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
        continue
    c.loop(0.05)
    # The PINGREQ is written to the socket inside the loop call that sends
    # it; want_write() is false once nothing of it is left to write.
    if (a.pause_after_pingreq and state["pingreq_after_freeze"] and not state["paused"]
            and not c.want_write()):
        state["paused"] = True
        pause()
log("END")
sys.exit(0)
