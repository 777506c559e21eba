"""mosquitto_sub / mosquitto_pub (libmosquitto 2.0.11) as clients of the held-out TLS captures.

Runs the real command-line client with keylog_shim.so preloaded (OpenSSL 3.0 has no SSLKEYLOGFILE
of its own: the shim installs OpenSSL's key log callback and reports the local port, the TLS
version, cipher and SNI as OpenSSL negotiated them, into LOG.shim), and writes its `-d` output
to LOG with an epoch timestamp on every line ("MOSQ Client X sending PINGREQ", ...).

The wrapper logs "START pid=CHILD": that is the mosquitto_sub/_pub process (the one to SIGSTOP).
--kind sub   mosquitto_sub -d -t TOPIC; --end disconnect: SIGINT after DURATION s (it sends
             DISCONNECT and exits).
--kind pub   mosquitto_pub -d -l -t TOPIC: each --pub AT:SIZE writes a line of SIZE bytes to its
             stdin at AT s after CONNACK (one PUBLISH each); --end disconnect: stdin closed after
             DURATION s (it sends DISCONNECT and exits).
--end exit   SIGKILL after DURATION s: the kernel closes the socket (FIN), no DISCONNECT, no
             close_notify.
--end hold   until libmosquitto gives the connection up: the shim then ends the process
             (MQTTKA_EXIT_ON_CLOSE; libmosquitto would reconnect at once).
--tls 1.2    the caller sets OPENSSL_CONF with MaxProtocol = TLSv1.2: mosquitto's --tls-version
             tlsv1.2 is only a minimum (libmosquitto disables 1.0 and 1.1, keeps 1.3).
--tls 1.3    --tls-version tlsv1.3; the suite comes from OPENSSL_CONF (Ciphersuites =), as
             mosquitto_sub has no option for TLS 1.3 suites.
"""
import argparse, os, signal, subprocess, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--kind", choices=["sub", "pub"], required=True)
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=8883)
ap.add_argument("--tls", default="off", choices=["off", "1.2", "1.3"])
ap.add_argument("--ciphers", default="")
ap.add_argument("--cafile", default="")
ap.add_argument("--keylog", default="")
ap.add_argument("--shim", required=True)
ap.add_argument("--ka", type=int, default=5)
ap.add_argument("--client-id", required=True)
ap.add_argument("--mqtt-version", default="mqttv311", choices=["mqttv311", "mqttv5"])
ap.add_argument("--topic", required=True)
ap.add_argument("--qos", type=int, default=0)
ap.add_argument("--pub", action="append", default=[], help="AT:SIZE (pub only)")
ap.add_argument("--duration", type=float, default=10.0)
ap.add_argument("--end", default="disconnect", choices=["disconnect", "exit", "hold"])
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
lock = threading.Lock()
def log(msg):
    with lock:
        out.write("%.6f %s\n" % (time.time(), msg))

prog = "mosquitto_sub" if a.kind == "sub" else "mosquitto_pub"
cmd = [prog, "-d", "-h", a.host, "-p", str(a.port), "-t", a.topic, "-k", str(a.ka), "-i", a.client_id,
       "-V", a.mqtt_version, "-q", str(a.qos)]
if a.kind == "pub":
    cmd.append("-l")
if a.tls != "off":
    cmd += ["--cafile", a.cafile, "--tls-version", "tlsv1.2" if a.tls == "1.2" else "tlsv1.3"]
    if a.ciphers:
        cmd += ["--ciphers", a.ciphers]
env = dict(os.environ, LD_PRELOAD=a.shim, MQTTKA_SHIM_LOG=a.log + ".shim")
if a.keylog:
    env["SSLKEYLOGFILE"] = a.keylog
if a.end == "hold":
    env["MQTTKA_EXIT_ON_CLOSE"] = "1"
try:
    os.unlink(a.log + ".shim")
except FileNotFoundError:
    pass
p = subprocess.Popen(cmd, stdin=subprocess.PIPE if a.kind == "pub" else subprocess.DEVNULL,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
log("START pid=%d wrapper=%d %s" % (p.pid, os.getpid(), " ".join(cmd)))
connack = threading.Event()
def reader():
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        log("MOSQ " + line)
        if "received CONNACK" in line:
            connack.set()
threading.Thread(target=reader, daemon=True).start()
while not connack.is_set() and p.poll() is None:
    connack.wait(0.05)
t0 = time.time()
pubs = sorted((float(x.split(":")[0]), int(x.split(":")[1])) for x in a.pub)
while p.poll() is None:
    el = time.time() - t0
    while pubs and el >= pubs[0][0]:
        at, size = pubs.pop(0)
        p.stdin.write((b"mqttka-heldout-" * (size // 15 + 1))[:size] + b"\n")
        p.stdin.flush()
        log("PUBLISH_CALLED topic=%s len=%d qos=%d" % (a.topic, size, a.qos))
    if a.duration >= 0 and el >= a.duration and a.end != "hold":
        if a.end == "exit":
            log("END exit (SIGKILL: no DISCONNECT, the kernel closes the socket)")
            p.kill()
        elif a.kind == "pub":
            log("END disconnect (stdin closed)")
            p.stdin.close()
        else:
            log("END disconnect (SIGINT)")
            p.send_signal(signal.SIGINT)
        break
    time.sleep(0.02)
rc = p.wait()
time.sleep(0.2)
log("EXIT rc=%d" % rc)
