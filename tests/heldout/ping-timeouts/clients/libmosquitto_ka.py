"""libmosquitto (Debian's libmosquitto1, the library mosquitto_sub uses) driven through ctypes,
for tests/heldout/ping-timeouts: mosquitto_sub refuses keepalives under 5 s, so this calls the
library directly with any keepalive. Connects over plain TCP, subscribes, then runs
mosquitto_loop_forever(timeout -1, 1) as mosquitto_sub does. Exits when the library reports the
disconnect (no reconnect). Log lines "<epoch> <message>", the library's own log included.

    /usr/bin/python3 libmosquitto_ka.py --ka 3 --id NAME --log FILE [--port 1883]
"""
import argparse, ctypes, ctypes.util, os, time

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


lib = ctypes.CDLL(ctypes.util.find_library("mosquitto") or "libmosquitto.so.1")
lib.mosquitto_new.restype = ctypes.c_void_p
lib.mosquitto_new.argtypes = [ctypes.c_char_p, ctypes.c_bool, ctypes.c_void_p]
lib.mosquitto_connect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
lib.mosquitto_subscribe.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
lib.mosquitto_loop_forever.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
lib.mosquitto_disconnect.argtypes = [ctypes.c_void_p]
LOG_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
CONN_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
lib.mosquitto_log_callback_set.argtypes = [ctypes.c_void_p, LOG_CB]
lib.mosquitto_connect_callback_set.argtypes = [ctypes.c_void_p, CONN_CB]
lib.mosquitto_disconnect_callback_set.argtypes = [ctypes.c_void_p, CONN_CB]

major, minor, rev = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
lib.mosquitto_lib_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(rev))
lib.mosquitto_lib_init()
m = lib.mosquitto_new(a.id.encode(), True, None)


@LOG_CB
def on_log(mosq, obj, level, msg):
    log("LOG " + msg.decode(errors="replace"))


@CONN_CB
def on_connect(mosq, obj, rc):
    log("CONNACK rc=%d" % rc)
    lib.mosquitto_subscribe(mosq, None, ("ka/" + a.id).encode(), 0)


@CONN_CB
def on_disconnect(mosq, obj, rc):
    log("ON_DISCONNECT rc=%d" % rc)
    out.flush()
    os._exit(0)


lib.mosquitto_log_callback_set(m, on_log)
lib.mosquitto_connect_callback_set(m, on_connect)
lib.mosquitto_disconnect_callback_set(m, on_disconnect)
log("START libmosquitto %d.%d.%d ka=%d" % (major.value, minor.value, rev.value, a.ka))
rc = lib.mosquitto_connect(m, a.host.encode(), a.port, a.ka)
if rc:
    log("CONNECT_ERROR rc=%d" % rc)
    os._exit(1)
lib.mosquitto_loop_forever(m, -1, 1)
log("END loop_forever returned")
