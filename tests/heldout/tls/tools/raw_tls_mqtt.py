#!/usr/bin/python3
"""An MQTT 3.1.1 session carried by a TLS command-line tool, for TLS 1.3 key updates inside MQTT
(tests/heldout/make-tls.sh, scenario keyupdate).

No MQTT library here drives a TLS 1.3 KeyUpdate (Python's ssl and Node's tls have no API for it),
but OpenSSL's s_client does it on request while it carries a byte stream (a line that is just
`K` asks for a key update and one from the peer, `k` updates its own keys only; gnutls-cli's
`^rekey^` inline command was tried and not recognised: see README-tls.md). This program writes the
bytes of MQTT packets (CONNECT, PINGREQ, PUBLISH QoS 0, DISCONNECT: the fixed formats of MQTT
3.1.1) to the tool's standard input on a timetable, reads the broker's answers from its standard
output, and logs both, with the key update commands it typed, as "<epoch> <message>"; s_client's
own report (-brief: protocol version, ciphersuite, KEYUPDATE lines) goes to LOG.stderr, and
keylog_shim.so (--shim) reports the local port (LOG.shim). At the end one line with what the
connection was is appended to --conns (for truth_tls.py).

    raw_tls_mqtt.py --host H --port P --cafile CA --keylog FILE --ka KA
                    --client-id ID --suite TLS_AES_128_GCM_SHA256 --pings N --log LOG
                    [--update K|k] [--publish-every M]

Timetable: CONNECT; then N rounds of (sleep KA - 0.5 s, key update command, 0.5 s, PINGREQ) with a
PUBLISH after every M-th PINGREQ; DISCONNECT 1 s after the last PINGRESP; the tool exits on EOF.
"""
import argparse, os, select, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--shim", required=True)
ap.add_argument("--conns", required=True)
ap.add_argument("--host", default="broker.mqttka.test")
ap.add_argument("--port", type=int, default=8883)
ap.add_argument("--cafile", required=True)
ap.add_argument("--keylog", required=True)
ap.add_argument("--ka", type=int, default=3)
ap.add_argument("--client-id", required=True)
ap.add_argument("--suite", default="TLS_AES_128_GCM_SHA256")
ap.add_argument("--pings", type=int, default=4)
ap.add_argument("--update", default="K")
ap.add_argument("--publish-every", type=int, default=2)
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
def log(m):
    out.write("%.6f %s\n" % (time.time(), m))

def rl(n):
    b = bytearray()
    while True:
        d = n % 128
        n //= 128
        b.append(d | (0x80 if n else 0))
        if not n:
            return bytes(b)

def s16(b):
    return len(b).to_bytes(2, "big") + b

cid = a.client_id.encode()
vh = s16(b"MQTT") + bytes([4, 0x02]) + a.ka.to_bytes(2, "big")
CONNECT = bytes([0x10]) + rl(len(vh) + 2 + len(cid)) + vh + s16(cid)
PINGREQ = bytes([0xC0, 0x00])
DISCONNECT = bytes([0xE0, 0x00])
def publish(topic, payload):
    body = s16(topic.encode()) + payload
    return bytes([0x30]) + rl(len(body)) + body
NAMES = {2: "CONNACK", 3: "PUBLISH", 9: "SUBACK", 13: "PINGRESP"}

env = dict(os.environ, LD_PRELOAD=a.shim, MQTTKA_SHIM_LOG=a.log + ".shim")
cmd = ["openssl", "s_client", "-connect", "%s:%d" % (a.host, a.port), "-servername", a.host, "-CAfile", a.cafile,
       "-verify_return_error", "-tls1_3", "-ciphersuites", a.suite, "-keylogfile", a.keylog, "-brief", "-no_ign_eof"]
update = a.update + "\n"
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(a.log + ".stderr", "w"), env=env)
log("START pid=%d %s" % (p.pid, " ".join(cmd)))
buf = b""

def pump(t):
    """read the tool's stdout for t seconds; log every complete MQTT packet"""
    global buf
    end = time.time() + t
    while True:
        left = end - time.time()
        if left <= 0:
            return
        r, _, _ = select.select([p.stdout], [], [], left)
        if not r:
            continue
        d = os.read(p.stdout.fileno(), 65536)
        if not d:
            log("EOF from the tool")
            time.sleep(left)
            return
        buf += d
        while len(buf) >= 2:
            n, mul, i, ok = 0, 1, 1, False
            while i < len(buf) and i <= 4:
                n += (buf[i] & 0x7F) * mul
                mul *= 128
                i += 1
                if not buf[i - 1] & 0x80:
                    ok = True
                    break
            if not ok or len(buf) < i + n:
                break
            t0 = buf[0] >> 4
            log("RECV %s %s" % (NAMES.get(t0, str(t0)), buf[: i + n].hex()))
            buf = buf[i + n:]

def send(b, what):
    p.stdin.write(b)
    p.stdin.flush()
    log("SEND %s %s" % (what, b.hex() if len(b) < 40 else "(%d bytes)" % len(b)))

time.sleep(1.5)         # the handshake
send(CONNECT, "CONNECT")
pump(1.0)
for k in range(1, a.pings + 1):
    pump(a.ka - 0.5)
    p.stdin.write(update.encode())
    p.stdin.flush()
    log("KEYUPDATE_COMMAND %r" % update.strip())
    pump(0.5)
    send(PINGREQ, "PINGREQ")
    if a.publish_every and k % a.publish_every == 0:
        pump(0.2)
        send(publish("hx/keyupdate/%s" % a.client_id, b"mqttka-heldout-" * 3), "PUBLISH")
pump(1.0)
send(DISCONNECT, "DISCONNECT")
pump(0.5)
p.stdin.close()
try:
    p.wait(5)
except subprocess.TimeoutExpired:
    p.terminate()
log("EXIT rc=%s" % p.returncode)
out.close()
L = open(a.log).read()
E = open(a.log + ".stderr").read()
S = open(a.log + ".shim").read() if os.path.exists(a.log + ".shim") else ""
import re
lp = re.search(r"TCP_CONNECT local_addr=(\S+) local_port=(\d+) remote_port=%d" % a.port, S)
ver = re.search(r"Protocol version: (\S+)", E)
cs = re.search(r"Ciphersuite: (\S+)", E)
with open(a.conns, "a") as f:
    f.write(" ".join("%s=%s" % kv for kv in [
        ("client", "openssl-s_client"), ("client_addr", lp.group(1) if lp else ""), ("client_port", lp.group(2) if lp else ""),
        ("server_port", a.port), ("transport", "tcp"), ("mqtt_version", "3.1.1"), ("keepalive", a.ka), ("client_id", a.client_id),
        ("tls_version", ver.group(1) if ver else ""), ("tls_cipher", cs.group(1) if cs else ""), ("sni", a.host),
        ("tls_info_from", "openssl_s_client_-brief"),
        ("keyupdate_commands", L.count("KEYUPDATE_COMMAND")), ("keyupdate_reported", E.count("KEYUPDATE")),
        ("client_pingreq_sent", L.count("SEND PINGREQ")), ("client_pingresp_received", L.count("RECV PINGRESP")),
        ("client_publish_sent", L.count("SEND PUBLISH")),
        ("closed_by", "client"), ("close_how", "disconnect"), ("true_cause", "disconnect"),
        ("expected_verdict", "mqtt_disconnect"), ("verdicts_consistent", "mqtt_disconnect")]) + "\n")
