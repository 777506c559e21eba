#!/usr/bin/env bash
# Regenerate the sample captures in samples/ and their .facts files.
#
#   sudo samples/capture.sh              # every capture
#   sudo samples/capture.sh ws-multi ... # only the named ones (names without .pcap)
#   sudo samples/capture.sh --list       # the names
#
# Debian 12, as root. Installs what it needs (apt: mosquitto, python3-paho-mqtt, tcpdump,
# nodejs, npm, iproute2, ethtool; npm: mqtt, aedes, ws into samples/.work/), then runs every
# scenario inside a private network namespace ($NS) whose loopback has MTU 1500 and no
# segmentation offload, so TCP segments look like they would on a real Ethernet link.
# All traffic stays on that namespace's loopback. The namespace is removed on exit.
#
# The .facts files are written from what each scenario did (its design) and from the
# clients' own logs (paho python's on_log, MQTT.js packetsend/packetreceive events),
# never from decoding the capture. See samples/README.md for the format.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$HERE/.work
NS=${MQTTKA_SAMPLES_NS:-mqttka-samples}   # another name when two runs share a machine
PY=/usr/bin/python3          # Debian's python, which sees python3-paho-mqtt
MAX_PCAP=200000

ALL=(ws-311-healthy ws-seed-connect ws-mqtt5-mqttjs ws-mqtt5-server-keepalive
     ws-broker-frozen ws-client-frozen tcp-311-plain ws-multi ws-large-publish
     ws-aedes-mqttjs ws-paho-unmasked http-plain ws-not-mqtt
     ws-takeover-311 ws-takeover-5 ws-refused-retry tcp-connack-missing
     ws-deflate-takeover ws-deflate-no-takeover ws-deflate-chromium
     ws-upgrade-after-get
     tcp-golang-ka5)

log() { printf '[capture %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
[[ $EUID -eq 0 ]] || die "run as root (sudo $0)"

WANT=("$@")
[[ ${#WANT[@]} -gt 0 ]] || WANT=("${ALL[@]}")
for n in "${WANT[@]}"; do
    n=${n%.pcap}
    [[ " ${ALL[*]} " == *" $n "* ]] || die "unknown capture '$n' (try --list)"
done

# ---------------------------------------------------------------- dependencies
install_deps() {
    local missing=()
    command -v mosquitto >/dev/null || [[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)
    $PY -c 'import paho.mqtt.client' 2>/dev/null || missing+=(python3-paho-mqtt)
    command -v tcpdump >/dev/null || [[ -x /usr/bin/tcpdump ]] || missing+=(tcpdump)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v ip >/dev/null || [[ -x /usr/sbin/ip ]] || [[ -x /sbin/ip ]] || missing+=(iproute2)
    command -v ethtool >/dev/null || [[ -x /usr/sbin/ethtool ]] || [[ -x /sbin/ethtool ]] || missing+=(ethtool)
    if [[ " ${WANT[*]} " == *" ws-deflate-"* ]]; then
        command -v tshark >/dev/null || missing+=(tshark)
        [[ " ${WANT[*]} " != *" ws-deflate-chromium "* ]] || command -v chromium >/dev/null ||
            missing+=(chromium)
    fi
    command -v go >/dev/null || missing+=(golang-go)
    [[ -d /usr/share/gocode/src/github.com/eclipse/paho.mqtt.golang ]] ||
        missing+=(golang-github-eclipse-paho.mqtt.golang-dev)
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    export PATH=$PATH:/usr/sbin:/sbin
    mkdir -p "$WORK"
    if [[ ! -f $WORK/package.json ]]; then
        echo '{ "name": "mqttka-samples-work", "private": true, "version": "0.0.0" }' >"$WORK/package.json"
    fi
    if [[ ! -d $WORK/node_modules/mqtt || ! -d $WORK/node_modules/aedes || ! -d $WORK/node_modules/ws ]]; then
        log "npm install mqtt@5 aedes@1 ws@8 into $WORK"
        (cd "$WORK" && npm install --no-audit --no-fund --silent mqtt@5 aedes@1 ws@8)
    fi
}

# ---------------------------------------------------------------- helper programs
write_helpers() {
# paho.mqtt.golang (Debian 12: 1.1.1) over TCP: CONNECT with keepalive KA, hold for DURATION
# seconds, then DISCONNECT. Its own DEBUG log, each line prefixed with the epoch, is the log.
mkdir -p "$WORK/golang"
cat >"$WORK/golang/main.go" <<'EOF'
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

type stamped struct{ f *os.File }

func (s stamped) Write(p []byte) (int, error) {
	now := time.Now()
	fmt.Fprintf(s.f, "%d.%06d %s", now.Unix(), now.Nanosecond()/1000, p)
	return len(p), nil
}

func main() {
	broker := flag.String("broker", "tcp://127.0.0.1:1883", "")
	id := flag.String("client-id", "mqttka-golang", "")
	ka := flag.Int("ka", 5, "")
	duration := flag.Float64("duration", 40, "")
	logPath := flag.String("log", "", "")
	flag.Parse()
	f, err := os.Create(*logPath)
	if err != nil {
		panic(err)
	}
	out := stamped{f}
	mqtt.DEBUG = log.New(out, "PAHO ", 0)
	mqtt.ERROR = log.New(out, "PAHO ERROR ", 0)
	opts := mqtt.NewClientOptions().AddBroker(*broker).SetClientID(*id).
		SetKeepAlive(time.Duration(*ka) * time.Second).SetAutoReconnect(false)
	c := mqtt.NewClient(opts)
	log.New(out, "", 0).Println("START")
	if t := c.Connect(); t.Wait() && t.Error() != nil {
		log.New(out, "", 0).Println("CONNECT FAILED", t.Error())
		os.Exit(1)
	}
	log.New(out, "", 0).Println("CONNACK rc=0")
	time.Sleep(time.Duration(*duration * float64(time.Second)))
	c.Disconnect(250)
	log.New(out, "", 0).Println("END")
}
EOF
# paho python 1.6.1 client. Logs "<epoch> <message>" lines, including paho's own on_log.
cat >"$WORK/paho_client.py" <<'EOF'
import argparse, os, signal, sys, time
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=1882)
ap.add_argument("--transport", default="websockets", choices=["websockets", "tcp"])
ap.add_argument("--ka", type=int, default=5)
ap.add_argument("--client-id", default="")
ap.add_argument("--no-clean", action="store_true")
ap.add_argument("--sub", action="append", default=[], help="topic")
ap.add_argument("--pub", action="append", default=[], help="AT:TOPIC:SIZE:QOS (AT s after CONNACK)")
ap.add_argument("--duration", type=float, default=10.0, help="seconds after CONNACK; <0: forever")
ap.add_argument("--end", default="disconnect", choices=["disconnect", "exit", "hold"])
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
def log(msg):
    out.write("%.6f %s\n" % (time.time(), msg))

state = {"connected": False, "gone": False}
c = mqtt.Client(client_id=a.client_id, clean_session=not a.no_clean, transport=a.transport)
if a.transport == "websockets":
    c.ws_set_options(path="/mqtt")
c.on_log = lambda cl, ud, level, buf: log("PAHO " + buf)
def on_connect(cl, ud, flags, rc):
    log("CONNACK rc=%d" % rc)
    state["connected"] = True
    for t in a.sub:
        cl.subscribe(t, qos=1)
def on_disconnect(cl, ud, rc):
    log("ON_DISCONNECT rc=%d (%s)" % (rc, mqtt.error_string(rc)))
    state["gone"] = True
def on_message(cl, ud, m):
    log("MESSAGE topic=%s len=%d" % (m.topic, len(m.payload)))
c.on_connect, c.on_disconnect, c.on_message = on_connect, on_disconnect, on_message

log("START pid=%d" % os.getpid())
c.connect(a.host, a.port, keepalive=a.ka)
s = c.socket()
s = getattr(s, "_socket", s)
la = s.getsockname()
log("LOCAL_ADDR %s LOCAL_PORT %d" % (la[0], la[1]))
while not state["connected"] and not state["gone"]:
    c.loop(0.05)
t0 = time.time()
pubs = []
for p in a.pub:
    at, topic, size, qos = p.split(":")
    pubs.append([float(at), topic, int(size), int(qos), False])
while not state["gone"]:
    el = time.time() - t0
    for p in pubs:
        if not p[4] and el >= p[0]:
            p[4] = True
            payload = (b"mqttka-sample-" * (p[2] // 14 + 1))[: p[2]]
            c.publish(p[1], payload, qos=p[3])
            log("PUBLISH_CALLED topic=%s len=%d qos=%d" % (p[1], p[2], p[3]))
    if a.duration >= 0 and el >= a.duration:
        break
    c.loop(0.05)
if state["gone"]:
    log("END gone")
    sys.exit(0)
if a.end == "disconnect":
    log("END disconnect")
    c.disconnect()
    for _ in range(40):
        if state["gone"]:
            break
        c.loop(0.05)
    log("END done")
elif a.end == "exit":
    log("END exit (no DISCONNECT, process exits, kernel closes the socket)")
    out.flush()
    os._exit(0)
EOF

# MQTT.js client. Logs "<epoch> <message>"; SEND/RECV lines come from packetsend/packetreceive.
cat >"$WORK/mqttjs_client.js" <<'EOF'
const mqtt = require('mqtt')
const WS = require('ws')
const fs = require('fs')
const a = JSON.parse(process.argv[2])
const out = fs.openSync(a.log, 'w')
const log = (m) => fs.writeSync(out, `${(Date.now() / 1000).toFixed(6)} ${m}\n`)
let rawWs = null
const opts = {
  protocolVersion: a.protocolVersion || 4,
  keepalive: a.keepalive,
  clientId: a.clientId || '',
  clean: true,
  reconnectPeriod: 0,
  connectTimeout: 5000,
  wsOptions: a.wsOptions || {},
  createWebsocket: (url, protocols, o) => {
    rawWs = new WS(url, protocols, o.wsOptions)
    rawWs.on('open', () => log(`LOCAL_ADDR ${rawWs._socket.localAddress} LOCAL_PORT ${rawWs._socket.localPort}`))
    rawWs.on('upgrade', (res) => log(`WS_EXTENSIONS ${res.headers['sec-websocket-extensions'] || ''}`))
    rawWs.on('close', (code, reason) => log(`WS_CLOSE code=${code} reason=${reason}`))
    return rawWs
  }
}
log(`START pid=${process.pid} mqtt.js ${require('mqtt/package.json').version} url=${a.url}`)
const c = mqtt.connect(a.url, opts)
c.on('packetsend', (p) => log(`SEND ${p.cmd}`))
c.on('packetreceive', (p) => log(`RECV ${p.cmd}${p.cmd === 'connack' ? ' ' + JSON.stringify({ rc: p.returnCode ?? p.reasonCode, properties: p.properties || {} }) : ''}`))
c.on('error', (e) => log(`ERROR ${e.message}`))
c.on('close', () => log('CLOSE'))
c.on('message', (t, m) => log(`MESSAGE topic=${t} len=${m.length}`))
c.on('connect', () => {
  log('CONNECTED')
  for (const t of a.sub || []) c.subscribe(t, { qos: 1 })
  for (const p of a.pub || []) {
    setTimeout(() => {
      const buf = Buffer.alloc(p.size, p.fill || 'mqttka-sample-')
      c.publish(p.topic, buf, { qos: p.qos })
      log(`PUBLISH_CALLED topic=${p.topic} len=${p.size} qos=${p.qos}`)
    }, p.at * 1000)
  }
  if (a.duration >= 0) {
    setTimeout(() => {
      if (a.end === 'disconnect') {
        log('END disconnect')
        c.end(false, () => { log('END done'); setTimeout(() => process.exit(0), 300) })
      } else if (a.end === 'wsclose') {
        log('END wsclose (WebSocket Close 1000, no DISCONNECT)')
        rawWs.close(1000, 'bye')
        setTimeout(() => process.exit(0), 1500)
      } else if (a.end === 'exit') {
        log('END exit (no DISCONNECT)')
        process.exit(0)
      }
    }, a.duration * 1000)
  }
})
EOF

# aedes broker with a websocket listener (ws + createWebSocketStream). argv: port, heartbeat ms
# (0: none; else the `ws` README heartbeat: a WebSocket Ping to every client every N ms),
# and the `ws` server's perMessageDeflate option as JSON (absent: false, ws's default).
# SIGUSR2: send every WebSocket client a Close 1001 "going away".
cat >"$WORK/aedes_broker.mjs" <<'EOF2'
import http from 'node:http'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
const wsPort = Number(process.argv[2] || 1882)
const heartbeat = Number(process.argv[3] || 0)
const perMessageDeflate = process.argv[4] ? JSON.parse(process.argv[4]) : false
const t = () => (Date.now() / 1000).toFixed(3)
const aedes = await Aedes.createBroker()
// Plain requests on the same port (a health check before the Upgrade, as a page or a load balancer
// sends): /health answered with a Content-Length, /chunked in two writes (chunked framing), keep-alive.
const httpServer = http.createServer((req, res) => {
  console.log(`${t()} http ${req.method} ${req.url} from port ${req.socket.remotePort}`)
  if (req.url === '/health') { res.setHeader('Content-Type', 'text/plain'); res.end('ok: aedes behind ws\n') }
  else if (req.url === '/chunked') { res.write('first chunk\n'); setTimeout(() => res.end('second chunk\n'), 20) }
  else { res.statusCode = 404; res.end('not here\n') }
})
const wss = new WebSocketServer({ server: httpServer, perMessageDeflate })
wss.on('connection', (websocket, req) => {
  const peer = `${req.socket.remotePort}`
  console.log(`${t()} ws connection from port ${peer} extensions=${websocket.extensions}`)
  websocket.on('pong', (d) => console.log(`${t()} ws pong from ${peer} ${d}`))
  websocket.on('close', (code, reason) => console.log(`${t()} ws close ${peer} code=${code} reason=${reason}`))
  websocket.on('error', (e) => console.log(`${t()} ws error ${peer} ${e.message}`))
  if (heartbeat > 0) {
    const iv = setInterval(() => { websocket.ping('hb'); console.log(`${t()} ws ping to ${peer}`) }, heartbeat)
    websocket.on('close', () => clearInterval(iv))
  }
  aedes.handle(createWebSocketStream(websocket), req)
})
process.on('SIGUSR2', () => {
  for (const c of wss.clients) { console.log(`${t()} sending Close 1001`); c.close(1001, 'going away') }
})
httpServer.listen(wsPort, '127.0.0.1', () => console.log(`aedes ws listening on ${wsPort}`))
aedes.on('client', (c) => console.log(`${t()} client ${c.id}`))
aedes.on('clientDisconnect', (c) => console.log(`${t()} clientDisconnect ${c.id}`))
aedes.on('keepaliveTimeout', (c) => console.log(`${t()} keepaliveTimeout ${c.id}`))
aedes.on('clientError', (c, e) => console.log(`${t()} clientError ${c.id} ${e.message}`))
EOF2

# paho python 1.6.1 with its own reconnect loop (loop_start -> loop_forever), a fixed reconnect
# delay: the client of the between-connections samples. One line "<epoch> c1 <message>" per
# event; SOCKET_OPEN (paho's on_socket_open: after the TCP connect, and after the WebSocket
# handshake over websockets) names each connection's local port. The .facts come from these logs
# and the broker's through tests/heldout/between/truth_between.py, which reads this format.
cat >"$WORK/paho_retry.py" <<'EOF'
import argparse, os, threading, time
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=1882)
ap.add_argument("--transport", default="websockets", choices=["websockets", "tcp"])
ap.add_argument("--mqtt", default="3.1.1", choices=["3.1.1", "5.0"])
ap.add_argument("--ka", type=int, default=5)
ap.add_argument("--client-id", default="")
ap.add_argument("--username")
ap.add_argument("--password")
ap.add_argument("--duration", type=float, default=5.0, help="seconds, then DISCONNECT if connected")
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
lock = threading.Lock()
def log(msg, tag="c1"):
    with lock:
        out.write("%.6f %s %s\n" % (time.time(), tag, msg))

v5 = a.mqtt == "5.0"
kw = {"protocol": mqtt.MQTTv5} if v5 else {"protocol": mqtt.MQTTv311, "clean_session": True}
c = mqtt.Client(client_id=a.client_id, transport=a.transport, **kw)
if a.transport == "websockets":
    c.ws_set_options(path="/mqtt")
if a.username is not None:
    c.username_pw_set(a.username, a.password)
c.reconnect_delay_set(min_delay=1, max_delay=1)
def on_socket_open(cl, ud, sock):
    la = getattr(sock, "_socket", sock).getsockname()
    log("SOCKET_OPEN LOCAL_ADDR %s LOCAL_PORT %d CLIENT_ID %s" % (la[0], la[1], a.client_id))
c.on_socket_open = on_socket_open
c.on_socket_close = lambda cl, ud, sock: log("SOCKET_CLOSE")
if v5:
    c.on_connect = lambda cl, ud, flags, rc, props: log("CONNACK rc=%d (%s)" % (rc.value, rc))
    c.on_disconnect = lambda cl, ud, rc, props=None: log("ON_DISCONNECT rc=%s" % getattr(rc, "value", rc))
else:
    c.on_connect = lambda cl, ud, flags, rc: log("CONNACK rc=%d (%s)" % (rc, mqtt.connack_string(rc)))
    c.on_disconnect = lambda cl, ud, rc: log("ON_DISCONNECT rc=%d (%s)" % (rc, mqtt.error_string(rc)))
c.on_log = lambda cl, ud, level, buf: log("PAHO " + buf)
log("START pid=%d" % os.getpid(), "-")
c.connect_async("127.0.0.1", a.port, keepalive=a.ka)
c.loop_start()
time.sleep(a.duration)
log("END disconnect", "-")
c.disconnect()
time.sleep(0.5)
c.loop_stop()
log("END done", "-")
EOF

# non-MQTT WebSocket: echo server + client (text, binary, ping, close 1000).
cat >"$WORK/ws_echo.js" <<'EOF'
const WS = require('ws')
const fs = require('fs')
const mode = process.argv[2]
const port = Number(process.argv[3] || 1882)
if (mode === 'server') {
  const wss = new WS.WebSocketServer({ host: '127.0.0.1', port, handleProtocols: (p) => (p.has('echo') ? 'echo' : false) })
  wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })))
  wss.on('listening', () => console.log('echo listening'))
} else {
  const out = fs.openSync(process.argv[4], 'w')
  const log = (m) => fs.writeSync(out, `${(Date.now() / 1000).toFixed(6)} ${m}\n`)
  const ws = new WS(`ws://127.0.0.1:${port}/echo`, ['echo'])
  let n = 0
  ws.on('open', () => {
    log(`OPEN LOCAL_PORT ${ws._socket.localPort}`)
    ws.send('hello, not MQTT')
    ws.send(Buffer.from([0x10, 0x02, 0x00, 0x00])) // binary bytes that are not an MQTT session
    setTimeout(() => { ws.ping('p1'); log('PING p1') }, 500)
    setTimeout(() => ws.send('{"json": true, "n": 3}'), 1000)
    setTimeout(() => { log('CLOSE 1000 sent'); ws.close(1000, 'done') }, 2000)
  })
  ws.on('message', (d, b) => log(`ECHO ${++n} binary=${b} len=${d.length}`))
  ws.on('pong', (d) => log(`PONG ${d}`))
  ws.on('close', (code) => { log(`CLOSED ${code}`); process.exit(0) })
}
EOF

# MQTT.js in a browser: a page server for headless Chromium (not captured: its port is not the
# broker's). argv: port, log file, the page's settings as JSON. Serves the page, MQTT.js's own
# browser bundle from npm (mqtt/dist/mqtt.min.js), and takes the page's log lines (POST /log).
cat >"$WORK/page_server.js" <<'EOF'
const http = require('http')
const fs = require('fs')
const path = require('path')
const [port, logFile, settings] = [Number(process.argv[2]), process.argv[3], process.argv[4]]
const bundle = fs.readFileSync(path.join(process.env.NODE_PATH, 'mqtt/dist/mqtt.min.js'))
const version = require('mqtt/package.json').version
const out = fs.openSync(logFile, 'w')
const page = `<!doctype html><meta charset="utf-8"><title>mqttka sample</title>
<script src="/mqtt.min.js"></script>
<script>
const a = ${settings}
const log = (m) => fetch('/log', { method: 'POST', body: (Date.now() / 1000).toFixed(6) + ' ' + m + '\\n' })
log('START chromium ' + navigator.userAgent + ' mqtt.js ${version} url=' + a.url)
const c = mqtt.connect(a.url, { protocolVersion: a.protocolVersion, keepalive: a.keepalive,
  clientId: a.clientId, clean: true, reconnectPeriod: 0, connectTimeout: 5000 })
c.on('packetsend', (p) => log('SEND ' + p.cmd))
c.on('packetreceive', (p) => log('RECV ' + p.cmd))
c.on('error', (e) => log('ERROR ' + e.message))
c.on('close', () => log('CLOSE'))
c.on('message', (t, m) => log('MESSAGE topic=' + t + ' len=' + m.length))
c.on('connect', () => {
  log('CONNECTED')
  for (const t of a.sub || []) c.subscribe(t, { qos: 1 })
  for (const p of a.pub || []) {
    setTimeout(() => {
      c.publish(p.topic, JSON.stringify({ n: p.size, text: 'mqttka-sample-'.repeat(p.size / 14 | 0) }), { qos: p.qos })
      log('PUBLISH_CALLED topic=' + p.topic + ' qos=' + p.qos)
    }, p.at * 1000)
  }
  setTimeout(() => { log('END disconnect'); c.end(false, () => log('END done')) }, a.duration * 1000)
})
</script>`
http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/log') {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => { fs.writeSync(out, body); res.end() })
  } else if (req.url === '/mqtt.min.js') {
    res.setHeader('Content-Type', 'text/javascript')
    res.end(bundle)
  } else if (req.url === '/') {
    res.setHeader('Content-Type', 'text/html')
    res.end(page)
  } else {
    res.statusCode = 404
    res.end()
  }
}).listen(port, '127.0.0.1', () => console.log(`page server on ${port}`))
EOF

# plain HTTP (no Upgrade): server and two GETs and one POST, keep-alive connection.
cat >"$WORK/http_plain.py" <<'EOF'
import http.client, http.server, sys, threading, time
port = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _send(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self._send(b"plain HTTP, no websocket here: " + self.path.encode() + b"\n")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self._send(b"got %d bytes\n" % len(self.rfile.read(n)))
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
c = http.client.HTTPConnection("127.0.0.1", port)
for path in ("/", "/mqtt"):
    c.request("GET", path); r = c.getresponse(); print(r.status, r.read()); time.sleep(0.5)
c.request("POST", "/upload", body=b"x" * 3000); r = c.getresponse(); print(r.status, r.read())
c.close()
time.sleep(0.3)
srv.shutdown()
EOF

# A client of no library: plain GETs on a keep-alive connection, then on the same TCP connection the
# WebSocket Upgrade, its MQTT CONNECT, pings and a DISCONNECT. MQTT 3.1.1 packets are written by hand (they are a few fixed bytes); the broker
# that answers them is real. Logs "<epoch> <what>" lines for the facts.
cat >"$WORK/get_then_upgrade.py" <<'EOF'
import base64, os, socket, struct, sys, time
port, logf = int(sys.argv[1]), sys.argv[2]
out = open(logf, "w", buffering=1)
def log(m): out.write("%.6f %s\n" % (time.time(), m))
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
log("LOCAL_PORT %d" % s.getsockname()[1])
buf = b""
def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(65536)
        if not d: raise SystemExit("closed by the server")
        buf += d
    r, buf = buf[:n], buf[n:]
    return r
def line():
    global buf
    while b"\r\n" not in buf:
        d = s.recv(65536)
        if not d: raise SystemExit("closed by the server")
        buf += d
    l, buf = buf.split(b"\r\n", 1)
    return l
def head():
    status = line().decode(); hdrs = {}
    while True:
        l = line().decode()
        if not l: return status, hdrs
        k, v = l.split(":", 1); hdrs[k.strip().lower()] = v.strip()
def response():
    status, h = head()
    if "content-length" in h:
        body = need(int(h["content-length"]))
    elif h.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            n = int(line().split(b";")[0], 16)
            if n == 0:
                while line(): pass
                break
            body += need(n); line()
    else:
        body = b""
    return status, h, body
for path in ("/health", "/chunked"):
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: keep-alive\r\n\r\n" % (path, port)).encode())
    log("HTTP_SENT GET %s" % path)
    st, h, body = response()
    log("HTTP_RECV %s for %s framing=%s body=%d" % (st, path, "length" if "content-length" in h else h.get("transfer-encoding"), len(body)))
    time.sleep(0.2)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n" % (port, key)).encode())
log("UPGRADE_SENT GET /mqtt")
def frame(payload):
    mask = os.urandom(4)
    return bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
cid = b"mqttka-after-get"
var = b"\x00\x04MQTT\x04\x02\x00\x02" + struct.pack(">H", len(cid)) + cid
# The CONNECT goes after the 101: the core decodes a CONNECT sent before it too (its own segment
# or the request's), but Wireshark 4.0's HTTP dissector hands a conversation to WebSocket only
# from the 101 on, so the plugin would not show it, and the plugin test compares every sample.
st, h = head()
log("UPGRADE_RECV %s protocol=%s" % (st, h.get("sec-websocket-protocol")))
s.sendall(frame(bytes([0x10, len(var)]) + var))
log("SEND connect")
mq = b""   # the MQTT byte stream: a broker may split a packet over several frames
def packet():
    global mq
    while len(mq) < 2 or len(mq) < 2 + mq[1]:   # these packets are short: one length byte
        b0, b1 = need(2)
        n = b1 & 0x7f
        if n == 126: n = struct.unpack(">H", need(2))[0]
        mq += need(n)
    p, mq = mq[:2 + mq[1]], mq[2 + mq[1]:]
    return {0x20: "connack", 0xd0: "pingresp"}.get(p[0], "type_%02x" % p[0])
log("RECV %s" % packet())
for i in range(2):
    time.sleep(1.0)
    s.sendall(frame(b"\xc0\x00")); log("SEND pingreq")
    log("RECV %s" % packet())
time.sleep(0.5)
s.sendall(frame(b"\xe0\x00")); log("SEND disconnect")
time.sleep(0.1)
s.close(); log("CLOSED")
EOF
}

# ---------------------------------------------------------------- namespace, processes
PIDS=()
STOPPED=()
cleanup() {
    set +e
    for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
}

ns_setup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    ip netns exec "$NS" ip link set lo up mtu 1500
    # no TSO/GSO/GRO: tcpdump on lo would otherwise see 64 KB super-segments
    ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "warning: ethtool -K lo failed"
}

# start_bg LOGFILE CMD...   -> runs CMD in the namespace in the background; pid in $BGPID
start_bg() {
    local logf=$1; shift
    ip netns exec "$NS" "$@" >"$logf" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

wait_listen() { # PORT [TIMEOUT]
    local port=$1 i
    for ((i = 0; i < ${2:-50}; i++)); do
        ip netns exec "$NS" ss -ltnH "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing listening on port $port"
}

wait_exit() { # PID TIMEOUT_S -> 0 if exited
    local pid=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    return 1
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# mosquitto: start_mosq NAME [extra config lines...]  -> $MOSQ_PID, log in $WORK/NAME.mosquitto.log
start_mosq() {
    local name=$1; shift
    local conf=$WORK/$name.mosquitto.conf
    MOSQ_LOG=$WORK/$name.mosquitto.log
    {
        echo "# generated by samples/capture.sh"
        echo "user root"
        echo "per_listener_settings false"
        echo "allow_anonymous true"
        echo "persistence false"
        echo "log_dest file $MOSQ_LOG"
        echo "log_type all"
        echo "log_timestamp true"
        echo "log_timestamp_format %s"
        echo "connection_messages true"
        printf '%s\n' "$@"
        echo "listener 1883"
        echo "listener 1882"
        echo "protocol websockets"
    } >"$conf"
    rm -f "$MOSQ_LOG"
    start_bg "$WORK/$name.mosquitto.out" mosquitto -c "$conf"
    MOSQ_PID=$BGPID
    wait_listen 1883
    wait_listen 1882
}

# Only the broker ports are captured: paho python 1.6.1 also opens a TCP socket pair on
# 127.0.0.1 (random ports) to wake its own loop, which is noise here.
CAP_FILTER="tcp port 1882 or tcp port 1883"
start_capture() { # NAME
    CAP_FILE=$HERE/$1.pcap
    rm -f "$CAP_FILE" "$HERE/$1.facts"
    start_bg "$WORK/$1.tcpdump.log" tcpdump -i lo -n -s 0 -U -w "$CAP_FILE" $CAP_FILTER
    TCPDUMP_PID=$BGPID
    local i
    for ((i = 0; i < 50; i++)); do grep -qs "listening on" "$WORK/$1.tcpdump.log" && break; sleep 0.1; done
    sleep 0.5
}

stop_capture() {
    sleep 1
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
    local size
    size=$(stat -c %s "$CAP_FILE")
    log "$(basename "$CAP_FILE"): $size bytes"
    ((size < MAX_PCAP)) || die "$(basename "$CAP_FILE") is $size bytes (limit $MAX_PCAP)"
}

# ---------------------------------------------------------------- client runners
py_client() { # LOGFILE ARGS...  (background; $BGPID)
    local logf=$1; shift
    start_bg "$logf.stderr" $PY "$WORK/paho_client.py" --log "$logf" "$@"
}
js_client() { # LOGFILE JSON  (background; $BGPID)
    local logf=$1 json=$2
    json=${json%\}}", \"log\": \"$logf\"}"
    start_bg "$logf.stderr" env NODE_PATH="$WORK/node_modules" node "$WORK/mqttjs_client.js" "$json"
}

# counts from client logs
n_py_pingreq() { grep -c "PAHO Sending PINGREQ" "$1" || true; }
n_py_pingresp() { grep -c "PAHO Received PINGRESP" "$1" || true; }
n_js_pingreq() { grep -c " SEND pingreq$" "$1" || true; }
n_js_pingresp() { grep -c " RECV pingresp$" "$1" || true; }
local_port() { sed -n 's/.*LOCAL_PORT \([0-9]*\).*/\1/p' "$1" | head -1; }
local_addr() { sed -n 's/.*LOCAL_ADDR \([^ ]*\) .*/\1/p' "$1" | head -1; }

FACTS=
facts_begin() { # NAME, comment lines...
    FACTS=$HERE/$1.facts; shift
    {
        echo "# $(basename "$FACTS" .facts).pcap: written by samples/capture.sh from the scenario design and the client's own log"
        echo "# generated $(date -u +%Y-%m-%dT%H:%M:%SZ); mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1), paho-python $($PY -c 'import paho.mqtt;print(paho.mqtt.__version__)'), MQTT.js $(node -p "require('$WORK/node_modules/mqtt/package.json').version")"
        for l in "$@"; do echo "# $l"; done
    } >"$FACTS"
}
fact() { printf '%s=%s\n' "$1" "$2" >>"$FACTS"; }
dur() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ts_of() { grep -m1 "$2" "$1" | cut -d' ' -f1; }   # first epoch timestamp of a log line

# ---------------------------------------------------------------- scenarios
scn_ws_311_healthy() {
    local n=ws-311-healthy L=$WORK/ws-311-healthy.client.log
    start_mosq $n
    start_capture $n
    py_client "$L" --port 1882 --ka 5 --client-id mqttka-healthy --sub mqttka/healthy \
        --pub 1:mqttka/healthy:32:0 --pub 7:mqttka/healthy:64:1 --duration 13 --end disconnect
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    facts_begin $n "paho python over websockets to mosquitto, healthy session with two publishes, ~13 s, DISCONNECT"
    fact transport websocket; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 5
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-healthy
    fact client_port "$(local_port "$L")"; fact client paho-python
    fact client_pingreq_sent "$(n_py_pingreq "$L")"; fact client_pingresp_received "$(n_py_pingresp "$L")"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_ws_seed_connect() {
    local n=ws-seed-connect L=$WORK/ws-seed-connect.client.log
    start_mosq $n
    start_capture $n
    py_client "$L" --port 1882 --ka 5 --client-id "" --duration 11 --end disconnect
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    if command -v tshark >/dev/null; then   # check the design, not a fact source
        local hex
        hex=$(tshark -r "$CAP_FILE" -d tcp.port==1882,http -Y "websocket.mask == 1 && websocket.opcode == 2" \
              -T fields -e data.data 2>/dev/null | head -1)
        [[ $hex == 100c00044d515454040200050000 ]] || die "$n: first client frame is '$hex', not the seed's CONNECT"
        log "$n: unmasked CONNECT is the seed's: $hex"
    fi
    stop_pid "$MOSQ_PID"
    facts_begin $n "the seed's CONNECT: client_id empty, clean session, keepalive 5 (10 0c 00 04 4d 51 54 54 04 02 00 05 00 00)"
    fact transport websocket; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 5
    fact ws_port 1882; fact ws_path /mqtt; fact client_id ""
    fact connect_hex 100c00044d515454040200050000
    fact client_port "$(local_port "$L")"; fact client paho-python
    fact client_pingreq_sent "$(n_py_pingreq "$L")"; fact client_pingresp_received "$(n_py_pingresp "$L")"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_ws_mqtt5_mqttjs() {
    local n=ws-mqtt5-mqttjs L=$WORK/ws-mqtt5-mqttjs.client.log
    start_mosq $n
    start_capture $n
    js_client "$L" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 5, "keepalive": 3, "clientId": "mqttka-js5",
        "sub": ["mqttka/js5"], "pub": [{"at": 1, "topic": "mqttka/js5", "size": 40, "qos": 1}], "duration": 8, "end": "disconnect"}'
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    facts_begin $n "MQTT.js v5 over ws (Node ws), MQTT 5, keepalive 3, ~8 s, DISCONNECT"
    fact transport websocket; fact connections 1; fact mqtt_version 5.0; fact keepalive 3
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-js5
    fact client_port "$(local_port "$L")"; fact client mqtt.js
    fact client_pingreq_sent "$(n_js_pingreq "$L")"; fact client_pingresp_received "$(n_js_pingresp "$L")"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_ws_mqtt5_server_keepalive() {
    # mosquitto 2.0.11 refuses max_keepalive below 10 ("Invalid max_keepalive value (3)").
    local n=ws-mqtt5-server-keepalive L=$WORK/ws-mqtt5-server-keepalive.client.log
    start_mosq $n "max_keepalive 10"
    start_capture $n
    js_client "$L" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 5, "keepalive": 60, "clientId": "mqttka-ska",
        "duration": 22, "end": "disconnect"}'
    wait_exit "$BGPID" 40 || die "$n: client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    local ska
    ska=$(sed -n 's/.*RECV connack .*"serverKeepAlive":\([0-9]*\).*/\1/p' "$L" | head -1)
    facts_begin $n "mosquitto with max_keepalive 10; MQTT.js MQTT 5 CONNECT keepalive 60; CONNACK carries Server Keep Alive (as reported by MQTT.js)" \
        "MQTT.js adopts the Server Keep Alive: it pings every ~10 s, not every 60 s"
    fact transport websocket; fact connections 1; fact mqtt_version 5.0; fact keepalive 60
    fact server_keepalive "${ska:-none}"
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-ska
    fact client_port "$(local_port "$L")"; fact client mqtt.js
    fact client_pingreq_sent "$(n_js_pingreq "$L")"; fact client_pingresp_received "$(n_js_pingresp "$L")"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_ws_broker_frozen() {
    local n=ws-broker-frozen L=$WORK/ws-broker-frozen.client.log pid
    start_mosq $n
    start_capture $n
    py_client "$L" --port 1882 --ka 3 --client-id mqttka-broker-frozen --duration -1 --end hold
    pid=$BGPID
    sleep 7.5     # PINGREQ/PINGRESP at ~3 s and ~6 s after CONNECT
    kill -STOP "$MOSQ_PID"; STOPPED+=("$MOSQ_PID")
    local t_stop; t_stop=$(date +%s.%N)
    wait_exit "$pid" 20 || die "$n: client did not give up"
    stop_capture
    kill -CONT "$MOSQ_PID"     # resumed only after the capture has stopped
    stop_pid "$MOSQ_PID"
    local t_ping t_gone
    t_ping=$(grep "PAHO Sending PINGREQ" "$L" | tail -1 | cut -d' ' -f1)
    t_gone=$(ts_of "$L" "ON_DISCONNECT")
    facts_begin $n "paho python keepalive 3; mosquitto SIGSTOPped ~7.5 s after start (after 2 ping pairs), resumed (SIGCONT) after the capture stopped" \
        "the last PINGREQ goes unanswered; paho closes the socket (no DISCONNECT, no WebSocket Close) about KA after it" \
        "client log: $(grep -m1 ON_DISCONNECT "$L" | cut -d' ' -f2-)"
    fact transport websocket; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 3
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-broker-frozen
    fact client_port "$(local_port "$L")"; fact client paho-python
    fact client_pingreq_sent "$(n_py_pingreq "$L")"; fact client_pingresp_received "$(n_py_pingresp "$L")"
    fact broker_frozen_after_s "$(dur "$(ts_of "$L" CONNACK)" "$t_stop")"
    fact last_pingreq_to_close_s "$(dur "$t_ping" "$t_gone")"
    fact closed_by client; fact close_how fin; fact expected_verdict client_closed_missing_pingresp
}

scn_ws_client_frozen() {
    local n=ws-client-frozen L=$WORK/ws-client-frozen.client.log pid i
    # over websockets mosquitto 2.0.11 logs "Client X closed its connection." when it drops a
    # client for keepalive (over TCP it logs "Client X has exceeded timeout, disconnecting.")
    local DROP_RE="mqttka-client-frozen (has exceeded timeout|closed its connection)"
    start_mosq $n
    start_capture $n
    py_client "$L" --port 1882 --ka 2 --client-id mqttka-client-frozen --duration -1 --end hold
    pid=$BGPID
    sleep 5       # PINGREQ/PINGRESP at ~2 s and ~4 s
    kill -STOP "$pid"; STOPPED+=("$pid")
    local t_stop; t_stop=$(date +%s.%N)
    for ((i = 0; i < 300; i++)); do
        grep -qE "$DROP_RE" "$MOSQ_LOG" && break
        sleep 0.1
    done
    grep -qE "$DROP_RE" "$MOSQ_LOG" || die "$n: mosquitto never dropped the client"
    sleep 1
    stop_capture
    kill -9 "$pid" 2>/dev/null || true; kill -CONT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    stop_pid "$MOSQ_PID"
    local t_last t_drop
    t_last=$(grep -E "PAHO (Sending|Received)" "$L" | tail -1 | cut -d' ' -f1)
    t_drop=$(grep -m1 -E "$DROP_RE" "$MOSQ_LOG" | cut -d: -f1)
    facts_begin $n "paho python keepalive 2; client process SIGSTOPped ~5 s after start (after 2 ping pairs);" \
        "mosquitto drops it (its log: '$(grep -m1 -E "$DROP_RE" "$MOSQ_LOG" | cut -d' ' -f2-)'); client SIGKILLed after the capture stopped" \
        "broker_drop_after_last_client_packet_s uses mosquitto's log timestamps (1 s resolution)"
    fact transport websocket; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 2
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-client-frozen
    fact client_port "$(local_port "$L")"; fact client paho-python
    fact client_pingreq_sent "$(n_py_pingreq "$L")"; fact client_pingresp_received "$(n_py_pingresp "$L")"
    fact client_frozen_after_s "$(dur "$(ts_of "$L" CONNACK)" "$t_stop")"
    fact broker_drop_after_last_client_packet_s "$(dur "$t_last" "$t_drop")"
    fact closed_by server; fact close_how fin; fact expected_verdict server_closed_keepalive
}

scn_tcp_311_plain() {
    local n=tcp-311-plain L=$WORK/tcp-311-plain.client.log
    start_mosq $n
    start_capture $n
    py_client "$L" --transport tcp --port 1883 --ka 3 --client-id mqttka-tcp --sub mqttka/tcp \
        --pub 1:mqttka/tcp:20:1 --duration 10 --end disconnect
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    facts_begin $n "paho python, plain MQTT over TCP port 1883, keepalive 3, ~10 s, DISCONNECT"
    fact transport tcp; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 3
    fact tcp_port 1883; fact client_id mqttka-tcp
    fact client_port "$(local_port "$L")"; fact client paho-python
    fact client_pingreq_sent "$(n_py_pingreq "$L")"; fact client_pingresp_received "$(n_py_pingresp "$L")"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_ws_multi() {
    local n=ws-multi W=$WORK/ws-multi p1 p2 p3 p4
    start_mosq $n
    start_capture $n
    py_client "$W.c1.log" --port 1882 --ka 5 --client-id multi-ws-disconnect --sub multi/# --duration 12 --end disconnect
    p1=$BGPID; sleep 0.4
    py_client "$W.c2.log" --transport tcp --host ::1 --port 1883 --ka 3 --client-id multi-tcp6-exit \
        --pub 1:multi/tcp6:10:0 --duration 7 --end exit
    p2=$BGPID; sleep 0.4
    js_client "$W.c3.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 5, "keepalive": 4, "clientId": "multi-js5-wsclose",
        "pub": [{"at": 2, "topic": "multi/js", "size": 16, "qos": 1}], "duration": 9, "end": "wsclose"}'
    p3=$BGPID; sleep 0.4
    py_client "$W.c4.log" --port 1882 --ka 2 --client-id multi-ws-open --duration -1 --end hold
    p4=$BGPID
    wait_exit "$p1" 30 || die "$n: c1"; wait_exit "$p2" 30 || die "$n: c2"; wait_exit "$p3" 30 || die "$n: c3"
    stop_capture
    stop_pid "$p4"
    stop_pid "$MOSQ_PID"
    facts_begin $n "four concurrent connections to one mosquitto; conn4 is still open when the capture stops (killed afterwards)"
    fact connections 4
    fact conn1.transport websocket; fact conn1.client_addr "$(local_addr "$W.c1.log")"; fact conn1.client_port "$(local_port "$W.c1.log")"
    fact conn1.server_port 1882; fact conn1.client paho-python; fact conn1.client_id multi-ws-disconnect
    fact conn1.mqtt_version 3.1.1; fact conn1.keepalive 5
    fact conn1.client_pingreq_sent "$(n_py_pingreq "$W.c1.log")"; fact conn1.client_pingresp_received "$(n_py_pingresp "$W.c1.log")"
    fact conn1.closed_by client; fact conn1.close_how disconnect; fact conn1.expected_verdict mqtt_disconnect
    fact conn2.transport tcp; fact conn2.client_addr "$(local_addr "$W.c2.log")"; fact conn2.client_port "$(local_port "$W.c2.log")"
    fact conn2.server_port 1883; fact conn2.client paho-python; fact conn2.client_id multi-tcp6-exit
    fact conn2.mqtt_version 3.1.1; fact conn2.keepalive 3
    fact conn2.client_pingreq_sent "$(n_py_pingreq "$W.c2.log")"; fact conn2.client_pingresp_received "$(n_py_pingresp "$W.c2.log")"
    fact conn2.closed_by client; fact conn2.close_how fin; fact conn2.expected_verdict client_closed
    fact conn3.transport websocket; fact conn3.client_addr "$(local_addr "$W.c3.log")"; fact conn3.client_port "$(local_port "$W.c3.log")"
    fact conn3.server_port 1882; fact conn3.client mqtt.js; fact conn3.client_id multi-js5-wsclose
    fact conn3.mqtt_version 5.0; fact conn3.keepalive 4
    fact conn3.client_pingreq_sent "$(n_js_pingreq "$W.c3.log")"; fact conn3.client_pingresp_received "$(n_js_pingresp "$W.c3.log")"
    fact conn3.closed_by client; fact conn3.close_how ws_close; fact conn3.ws_close_code 1000; fact conn3.expected_verdict ws_close
    fact conn4.transport websocket; fact conn4.client_addr "$(local_addr "$W.c4.log")"; fact conn4.client_port "$(local_port "$W.c4.log")"
    fact conn4.server_port 1882; fact conn4.client paho-python; fact conn4.client_id multi-ws-open
    fact conn4.mqtt_version 3.1.1; fact conn4.keepalive 2
    fact conn4.client_pingreq_sent "$(n_py_pingreq "$W.c4.log")"; fact conn4.client_pingresp_received "$(n_py_pingresp "$W.c4.log")"
    fact conn4.expected_verdict open
}

scn_ws_large_publish() {
    local n=ws-large-publish W=$WORK/ws-large-publish p1 p2
    start_mosq $n
    start_capture $n
    py_client "$W.c1.log" --port 1882 --ka 5 --client-id large-paho --sub big/echo \
        --pub 1:big/echo:20000:1 --duration 3 --end disconnect
    p1=$BGPID; sleep 0.3
    js_client "$W.c2.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 5, "clientId": "large-mqttjs",
        "pub": [{"at": 1, "topic": "big/noecho", "size": 60000, "qos": 1}], "duration": 3, "end": "disconnect"}'
    p2=$BGPID
    wait_exit "$p1" 30 || die "$n: c1"; wait_exit "$p2" 30 || die "$n: c2"
    stop_capture
    stop_pid "$MOSQ_PID"
    facts_begin $n "large PUBLISHes over websockets, MTU 1500: paho publishes 20000 bytes to a topic it is subscribed to" \
        "(mosquitto sends it back), MQTT.js publishes 60000 bytes to a topic nobody subscribes to"
    fact transport websocket; fact connections 2; fact mqtt_version 3.1.1; fact keepalive 5; fact ws_port 1882
    fact conn1.client_port "$(local_port "$W.c1.log")"; fact conn1.client paho-python; fact conn1.client_id large-paho
    fact conn1.publish_payload_bytes 20000; fact conn1.publish_qos 1; fact conn1.echoed_by_broker yes
    fact conn1.messages_received "$(grep -c "MESSAGE topic=big/echo len=20000" "$W.c1.log" || true)"
    fact conn1.client_pingreq_sent "$(n_py_pingreq "$W.c1.log")"; fact conn1.client_pingresp_received "$(n_py_pingresp "$W.c1.log")"
    fact conn1.closed_by client; fact conn1.close_how disconnect; fact conn1.expected_verdict mqtt_disconnect
    fact conn2.client_port "$(local_port "$W.c2.log")"; fact conn2.client mqtt.js; fact conn2.client_id large-mqttjs
    fact conn2.publish_payload_bytes 60000; fact conn2.publish_qos 1; fact conn2.echoed_by_broker no
    fact conn2.puback_received "$(grep -c " RECV puback$" "$W.c2.log" || true)"
    fact conn2.client_pingreq_sent "$(n_js_pingreq "$W.c2.log")"; fact conn2.client_pingresp_received "$(n_js_pingresp "$W.c2.log")"
    fact conn2.closed_by client; fact conn2.close_how disconnect; fact conn2.expected_verdict mqtt_disconnect
}

scn_ws_aedes_mqttjs() {
    local n=ws-aedes-mqttjs L=$WORK/ws-aedes-mqttjs.client.log bpid
    start_bg "$WORK/$n.aedes.log" node "$WORK/aedes_broker.mjs" 1882 2000
    bpid=$BGPID
    wait_listen 1882
    start_capture $n
    js_client "$L" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 3, "clientId": "mqttka-aedes",
        "sub": ["mqttka/aedes"], "pub": [{"at": 1, "topic": "mqttka/aedes", "size": 24, "qos": 1}], "duration": 8, "end": "disconnect"}'
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$bpid"
    facts_begin $n "aedes $(aedes_version) (ws + createWebSocketStream) and MQTT.js, MQTT 3.1.1, keepalive 3, ~8 s, DISCONNECT" \
        "the broker also sends a WebSocket Ping every 2 s (the ws README heartbeat); ws_pings_* are from the broker's log"
    fact transport websocket; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 3
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-aedes; fact broker aedes
    fact client_port "$(local_port "$L")"; fact client mqtt.js
    fact client_pingreq_sent "$(n_js_pingreq "$L")"; fact client_pingresp_received "$(n_js_pingresp "$L")"
    fact server_ws_pings_sent "$(grep -c "ws ping to" "$WORK/$n.aedes.log" || true)"
    fact server_ws_pongs_received "$(grep -c "ws pong from" "$WORK/$n.aedes.log" || true)"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

aedes_version() { sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$WORK/node_modules/aedes/package.json" | head -1; }

scn_ws_paho_unmasked() {
    # paho python 1.6.1 answers a server Ping with an UNMASKED Pong (RFC 6455 5.1 violation);
    # Node's ws (under aedes here) rejects it and fails the connection with Close 1002.
    local n=ws-paho-unmasked L=$WORK/ws-paho-unmasked.client.log bpid pid
    start_bg "$WORK/$n.aedes.log" node "$WORK/aedes_broker.mjs" 1882 3000
    bpid=$BGPID
    wait_listen 1882
    start_capture $n
    py_client "$L" --port 1882 --ka 5 --client-id mqttka-paho-aedes --duration -1 --end hold
    pid=$BGPID
    if ! wait_exit "$pid" 12; then
        log "$n: client still connected after 12 s: asking aedes to send Close 1001"
        kill -USR2 "$bpid"
        wait_exit "$pid" 10 || stop_pid "$pid"
    fi
    stop_capture
    stop_pid "$bpid"
    facts_begin $n "aedes $(aedes_version) over Node ws, sending a WebSocket Ping every 3 s; paho python keepalive 5 (websockets)" \
        "broker log: $(grep -E "ws (pong|close|error)" "$WORK/$n.aedes.log" | cut -d' ' -f2- | tr '\n' ';')" \
        "client log: $(grep -m1 ON_DISCONNECT "$L" | cut -d' ' -f2-)"
    fact transport websocket; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 5
    fact ws_port 1882; fact ws_path /mqtt; fact client_id mqttka-paho-aedes; fact broker aedes
    fact client_port "$(local_port "$L")"; fact client paho-python
    fact client_pingreq_sent "$(n_py_pingreq "$L")"; fact client_pingresp_received "$(n_py_pingresp "$L")"
    fact server_ws_pings_sent "$(grep -c "ws ping to" "$WORK/$n.aedes.log" || true)"
    fact server_ws_pongs_received "$(grep -c "ws pong from" "$WORK/$n.aedes.log" || true)"
    fact server_ws_error "$(grep -m1 "ws error" "$WORK/$n.aedes.log" | cut -d' ' -f5- || true)"
    # ws fails a connection on WS_ERR_EXPECTED_MASK with a Close 1002 (ws/lib/receiver.js); its own
    # 'close' event then reports 1006 because the peer's Close could not be read
    if grep -q "MASK must be set" "$WORK/$n.aedes.log"; then fact server_ws_close_code 1002; fi
    fact closed_by server; fact close_how ws_close; fact expected_verdict ws_close
}

scn_http_plain() {
    local n=http-plain
    start_capture $n
    start_bg "$WORK/$n.log" $PY "$WORK/http_plain.py" 1882
    wait_exit "$BGPID" 20 || die "$n: did not finish"
    stop_capture
    facts_begin $n "not MQTT: plain HTTP/1.1 on port 1882 (python http.server + http.client): GET /, GET /mqtt (no Upgrade), POST 3000 bytes, one keep-alive connection"
    fact transport http; fact connections 1; fact server_port 1882; fact mqtt no; fact websocket no
    fact expected_verdict none
}

scn_ws_not_mqtt() {
    local n=ws-not-mqtt spid
    start_bg "$WORK/$n.server.log" env NODE_PATH="$WORK/node_modules" node "$WORK/ws_echo.js" server 1882
    spid=$BGPID
    wait_listen 1882
    start_capture $n
    start_bg "$WORK/$n.client.stderr" env NODE_PATH="$WORK/node_modules" node "$WORK/ws_echo.js" client 1882 "$WORK/$n.client.log"
    wait_exit "$BGPID" 20 || die "$n: client did not finish"
    stop_capture
    stop_pid "$spid"
    facts_begin $n "not MQTT: a WebSocket echo (Node ws, subprotocol 'echo') on port 1882: text frames, a binary frame, a Ping, Close 1000"
    fact transport websocket; fact connections 1; fact server_port 1882; fact ws_subprotocol echo; fact mqtt no
    fact client_port "$(sed -n 's/.*LOCAL_PORT \([0-9]*\).*/\1/p' "$WORK/$n.client.log")"
    fact closed_by client; fact close_how ws_close; fact expected_verdict none
}

# ---------------------------------------------------------------- between connections (issue 14)
# The .facts of these come from the client's and mosquitto's logs through
# tests/heldout/between/truth_between.py (the held-out set's truth builder: the same rules).
TRUTH=$HERE/../tests/heldout/between/truth_between.py
retry_client() { # LOGFILE ARGS...  (background; $BGPID)
    local logf=$1; shift
    start_bg "$logf.stderr" $PY "$WORK/paho_retry.py" --log "$logf" "$@"
}
between_facts() { # NAME ARGS... (truth_between.py's arguments)
    local name=$1; shift
    $PY "$TRUTH" --out "$HERE/$name.facts" --name "$name" --cap-end "$(date +%s.%N)" --writer samples/capture.sh \
        --comment "generated $(date -u +%Y-%m-%dT%H:%M:%SZ); mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1), paho-python $($PY -c 'import paho.mqtt;print(paho.mqtt.__version__)')" \
        "$@" || die "$name: the facts could not be built from the logs"
    # a design check, not a source: every closed_by (close_how=fin) is the side of the first FIN/RST
    $PY "$TRUTH" --check-closes "$CAP_FILE" "$HERE/$name.facts" || die "$name: closed_by does not hold in the capture"
}
wait_line() { # FILE REGEX: up to 10 s
    local i
    for ((i = 0; i < 100; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    die "$(basename "$1"): no '$2'"
}

takeover_sample() { # NAME MQTT_VERSION
    local n=$1 v=$2 W=$WORK/$1 p1 p2
    rm -f "$W".c*.log*     # a stale log must not satisfy wait_line
    start_mosq $n
    start_capture $n
    retry_client "$W.c1.log" --port 1882 --mqtt "$v" --ka 5 --client-id mqttka-twin --duration 5
    p1=$BGPID
    wait_line "$W.c1.log" "CONNACK rc=0"
    retry_client "$W.c2.log" --port 1882 --mqtt "$v" --ka 5 --client-id mqttka-twin --duration 4
    p2=$BGPID
    wait_exit "$p1" 30 || die "$n: c1"; wait_exit "$p2" 30 || die "$n: c2"
    stop_capture
    stop_pid "$MOSQ_PID"
    between_facts $n --broker "mosquitto:$MOSQ_LOG" \
        --client "$W.c1.log:paho-python:websocket:$v:1882:5" --client "$W.c2.log:paho-python:websocket:$v:1882:5" \
        --note "two paho clients share client id mqttka-twin (websockets, MQTT $v) and reconnect 1 s after being dropped: a takeover ping-pong" \
        --note "mosquitto logs 'Client mqttka-twin already connected, closing old connection.' and closes the older connection with a bare FIN (no DISCONNECT 0x8E, no WebSocket Close); taken_over_by names the connection that presented the id"
}
scn_ws_takeover_311() { takeover_sample ws-takeover-311 3.1.1; }
scn_ws_takeover_5() { takeover_sample ws-takeover-5 5.0; }

scn_ws_refused_retry() {
    local n=ws-refused-retry W=$WORK/ws-refused-retry p1 p2
    rm -f "$W".c*.log*     # a stale log must not satisfy wait_line
    rm -f "$WORK/$n.passwd"
    mosquitto_passwd -b -c "$WORK/$n.passwd" alice secret
    start_mosq $n "allow_anonymous false" "password_file $WORK/$n.passwd"
    start_capture $n
    retry_client "$W.c1.log" --port 1882 --ka 5 --client-id mqttka-anon --duration 3.5
    p1=$BGPID; sleep 0.3
    retry_client "$W.c2.log" --port 1882 --mqtt 5.0 --ka 5 --client-id mqttka-badpw --username alice --password wrong --duration 3.5
    p2=$BGPID
    wait_exit "$p1" 30 || die "$n: c1"; wait_exit "$p2" 30 || die "$n: c2"
    stop_capture
    stop_pid "$MOSQ_PID"
    between_facts $n --broker "mosquitto:$MOSQ_LOG" \
        --client "$W.c1.log:paho-python:websocket:3.1.1:1882:5" --client "$W.c2.log:paho-python:websocket:5.0:1882:5" \
        --note "mosquitto with allow_anonymous false and a password file; paho python retries every second: mqttka-anon (MQTT 3.1.1, no user) gets CONNACK return code 5, mqttka-badpw (MQTT 5, wrong password) gets reason 0x87 Not authorized (mosquitto 2.0.11 sends neither 4 nor 0x86 for a wrong password)" \
        --note "mosquitto closes each refused connection after the CONNACK ('Client <unknown> disconnected, not authorised.'), racing paho, which closes on reading it: closed_by is left out"
}

scn_tcp_connack_missing() {
    local n=tcp-connack-missing W=$WORK/tcp-connack-missing p1 t_stop
    rm -f "$W".c*.log*     # a stale log must not satisfy wait_line
    start_mosq $n
    start_capture $n
    retry_client "$W.c1.log" --transport tcp --port 1883 --ka 2 --client-id mqttka-stuck --duration 9
    p1=$BGPID
    wait_line "$W.c1.log" "CONNACK rc=0"
    sleep 0.3
    kill -STOP "$MOSQ_PID"; STOPPED+=("$MOSQ_PID")
    t_stop=$(date +%s.%N)
    wait_exit "$p1" 30 || die "$n: c1"
    stop_capture
    cp "$MOSQ_LOG" "$MOSQ_LOG.at-capture-end"   # what mosquitto does once resumed is not in the capture
    kill -CONT "$MOSQ_PID"     # resumed only after the capture has stopped
    stop_pid "$MOSQ_PID"
    between_facts $n --broker "mosquitto:$MOSQ_LOG.at-capture-end" --broker-frozen-at "$t_stop" \
        --client "$W.c1.log:paho-python:tcp:3.1.1:1883:2" \
        --note "paho python over TCP, keepalive 2; mosquitto SIGSTOPped 0.3 s after the CONNACK, resumed (SIGCONT) after the capture stopped" \
        --note "conn1's PINGREQ is never answered and paho closes it (rc 16); each later connection is accepted by the kernel, its CONNECT ACKed and never answered: paho closes it after KA = 2 s and retries 1 s later (connack_missing); the last one is still waiting when paho stops: it sends DISCONNECT with no CONNACK"
}

# ---- permessage-deflate (RFC 7692): aedes behind Node ws with perMessageDeflate, threshold 0 so
# that every message is compressed, not only those of 1 KiB or more (ws's default)

# Every data frame of each direction with RSV1 on the first frame of its message: compression was
# really used. A check of the design (as the seed's CONNECT is checked), not a source of facts.
check_compressed() { # NAME
    local n=$1 dir who rsv1 all
    for dir in 1 0; do   # client frames are masked, the server's are not
        who=$([[ $dir == 1 ]] && echo client || echo server)
        all=$(tshark -r "$CAP_FILE" -d tcp.port==1882,http -Y "websocket.mask == $dir && (websocket.opcode == 1 || websocket.opcode == 2)" \
              -T fields -e frame.number 2>/dev/null | wc -l)
        rsv1=$(tshark -r "$CAP_FILE" -d tcp.port==1882,http \
              -Y "websocket.mask == $dir && (websocket.opcode == 1 || websocket.opcode == 2) && websocket.rsv == 4" \
              -T fields -e frame.number 2>/dev/null | wc -l)
        log "$n: $who messages $all, with RSV1 $rsv1"
        ((all > 0 && rsv1 == all)) || die "$n: not every $who message is compressed"
    done
}

# MQTT.js's packetsend/packetreceive lines as "type:count,..." (sorted), for the facts. (MQTT.js
# 5 emits no packetsend for its CONNECT.)
js_packets() { # LOGFILE SEND|RECV
    grep -oE " $2 [a-z]+( |$)" "$1" | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s:%s\n", $2, $1 }' | paste -sd, -
}

deflate_facts() { # LOG
    local L=$1
    fact transport websocket; fact connections 1; fact ws_port 1882; fact ws_path /mqtt; fact broker aedes
    fact client_pingreq_sent "$(n_js_pingreq "$L")"; fact client_pingresp_received "$(n_js_pingresp "$L")"
    fact client_packets_sent "$(js_packets "$L" SEND)"; fact client_packets_received "$(js_packets "$L" RECV)"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_ws_deflate_takeover() {
    local n=ws-deflate-takeover L=$WORK/ws-deflate-takeover.client.log bpid
    start_bg "$WORK/$n.aedes.log" node "$WORK/aedes_broker.mjs" 1882 0 '{"threshold": 0}'
    bpid=$BGPID
    wait_listen 1882
    start_capture $n
    js_client "$L" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 3, "clientId": "mqttka-deflate",
        "wsOptions": {"perMessageDeflate": {"threshold": 0}},
        "sub": ["mqttka/deflate"], "pub": [{"at": 1, "topic": "mqttka/deflate", "size": 24, "qos": 1},
        {"at": 1.5, "topic": "mqttka/deflate", "size": 3000, "qos": 0},
        {"at": 2, "topic": "mqttka/deflate", "size": 3000, "qos": 1}], "duration": 8, "end": "disconnect"}'
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$bpid"
    check_compressed $n
    facts_begin $n "aedes $(aedes_version) behind Node ws with perMessageDeflate (threshold 0), MQTT.js with perMessageDeflate (threshold 0):" \
        "every message compressed both ways, with context takeover (ws's default); MQTT 3.1.1, keepalive 3, SUBSCRIBE," \
        "PUBLISHes of 24 and 2 x 3000 bytes (echoed by the subscription), DISCONNECT at 8 s" \
        "client_packets_* are MQTT.js's packetsend/packetreceive events; ws_extensions the 101's header as the client's ws read it"
    fact mqtt_version 3.1.1; fact keepalive 3; fact client_id mqttka-deflate
    fact client_port "$(local_port "$L")"; fact client mqtt.js
    fact compression permessage-deflate; fact context_takeover yes
    fact ws_extensions "$(sed -n 's/.* WS_EXTENSIONS //p' "$L" | head -1)"
    deflate_facts "$L"
}

scn_ws_deflate_no_takeover() {
    local n=ws-deflate-no-takeover L=$WORK/ws-deflate-no-takeover.client.log bpid
    start_bg "$WORK/$n.aedes.log" node "$WORK/aedes_broker.mjs" 1882 0 \
        '{"threshold": 0, "serverNoContextTakeover": true, "clientNoContextTakeover": true, "serverMaxWindowBits": 10, "clientMaxWindowBits": 9}'
    bpid=$BGPID
    wait_listen 1882
    start_capture $n
    js_client "$L" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 2, "clientId": "mqttka-deflate-nct",
        "wsOptions": {"perMessageDeflate": {"threshold": 0}},
        "sub": ["mqttka/nct"], "pub": [{"at": 1, "topic": "mqttka/nct", "size": 40, "qos": 1},
        {"at": 3, "topic": "mqttka/nct", "size": 2000, "qos": 1}], "duration": 7, "end": "disconnect"}'
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$bpid"
    check_compressed $n
    facts_begin $n "aedes $(aedes_version) behind Node ws with perMessageDeflate: threshold 0, server_ and client_no_context_takeover," \
        "server_max_window_bits 10, client_max_window_bits 9; MQTT.js (perMessageDeflate, threshold 0), MQTT 3.1.1, keepalive 2," \
        "SUBSCRIBE, PUBLISHes of 40 and 2000 bytes (echoed), DISCONNECT at 7 s; every message compressed, each from a fresh context" \
        "client_packets_* are MQTT.js's packetsend/packetreceive events; ws_extensions the 101's header as the client's ws read it"
    fact mqtt_version 3.1.1; fact keepalive 2; fact client_id mqttka-deflate-nct
    fact client_port "$(local_port "$L")"; fact client mqtt.js
    fact compression permessage-deflate; fact context_takeover no
    fact ws_extensions "$(sed -n 's/.* WS_EXTENSIONS //p' "$L" | head -1)"
    deflate_facts "$L"
}

scn_ws_deflate_chromium() {
    local n=ws-deflate-chromium L=$WORK/ws-deflate-chromium.client.log bpid ppid cpid i
    local profile=$WORK/chromium-profile
    start_bg "$WORK/$n.aedes.log" node "$WORK/aedes_broker.mjs" 1882 0 '{"threshold": 0}'
    bpid=$BGPID
    start_bg "$WORK/$n.page.log" env NODE_PATH="$WORK/node_modules" node "$WORK/page_server.js" 8080 "$L" \
        '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 3, "clientId": "mqttka-chromium",
          "sub": ["mqttka/browser"], "pub": [{"at": 1, "topic": "mqttka/browser", "size": 30, "qos": 1},
          {"at": 2, "topic": "mqttka/browser", "size": 1500, "qos": 0}], "duration": 8}'
    ppid=$BGPID
    wait_listen 1882
    wait_listen 8080
    start_capture $n
    rm -rf "$profile"
    start_bg "$WORK/$n.chromium.log" chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
        http://127.0.0.1:8080/
    cpid=$BGPID
    for ((i = 0; i < 300; i++)); do grep -qs "END done" "$L" && break; sleep 0.1; done
    grep -qs "END done" "$L" || die "$n: the page never finished (see $L, $WORK/$n.chromium.log)"
    stop_capture
    stop_pid "$cpid"
    stop_pid "$ppid"
    stop_pid "$bpid"
    check_compressed $n
    sort -n "$L" -o "$L"   # the page's lines come by separate POSTs
    facts_begin $n "MQTT.js $(node -p "require('$WORK/node_modules/mqtt/package.json').version") (its browser bundle, mqtt/dist/mqtt.min.js) in headless $(chromium --version 2>/dev/null | head -1)" \
        "against aedes $(aedes_version) behind Node ws with perMessageDeflate (threshold 0); Chromium offers permessage-deflate itself" \
        "MQTT 3.1.1, keepalive 3, SUBSCRIBE, PUBLISHes of about 30 and 1500 bytes of JSON (echoed), DISCONNECT at 8 s" \
        "client_packets_* are MQTT.js's packetsend/packetreceive events in the page; ws_extensions from the broker's ws" \
        "(a page is not told its own port, so no client_port)"
    fact mqtt_version 3.1.1; fact keepalive 3; fact client_id mqttka-chromium; fact client chromium-mqtt.js
    fact compression permessage-deflate; fact context_takeover yes
    fact ws_extensions "$(grep -m1 "ws connection" "$WORK/$n.aedes.log" | sed -n 's/.*extensions=//p')"
    deflate_facts "$L"
}

# An HTTP Upgrade after plain requests on a keep-alive connection (issue 18): GET /health (Content-Length),
# GET /chunked (chunked), then the WebSocket Upgrade and MQTT on the same TCP connection.
scn_ws_upgrade_after_get() {
    local n=ws-upgrade-after-get L=$WORK/ws-upgrade-after-get.client.log bpid
    start_bg "$WORK/$n.aedes.log" node "$WORK/aedes_broker.mjs" 1882 0
    bpid=$BGPID
    wait_listen 1882
    start_capture $n
    start_bg "$L.stderr" $PY "$WORK/get_then_upgrade.py" 1882 "$L"
    wait_exit "$BGPID" 30 || die "$n: client did not finish"
    stop_capture
    stop_pid "$bpid"
    grep -q "CLOSED" "$L" || die "$n: the client did not finish its exchange (see $L)"
    [[ $(grep -c " http GET " "$WORK/$n.aedes.log") == 2 ]] || die "$n: the server did not see both plain GETs"
    facts_begin $n "aedes $(aedes_version) behind Node ws and Node's http server (one port); a /usr/bin/python3 client on one" \
        "keep-alive TCP connection: GET /health (answered with Content-Length), GET /chunked (answered chunked), then the" \
        "WebSocket Upgrade of /mqtt offering mqtt, then MQTT 3.1.1: CONNECT (after the 101), keepalive 2," \
        "two PINGREQs 1 s apart, DISCONNECT; the client closes" \
        "http_* and client_* counts from the client's log (RECV/SEND lines) and the broker's log (http GET lines)"
    fact transport websocket; fact connections 1; fact ws_port 1882; fact ws_path /mqtt; fact broker aedes
    fact mqtt_version 3.1.1; fact keepalive 2; fact client_id mqttka-after-get; fact client python-socket
    fact client_port "$(local_port "$L")"
    fact http_requests_before_upgrade "$(grep -c " http GET " "$WORK/$n.aedes.log")"
    fact http_framings "$(sed -n 's/.*framing=\([^ ]*\).*/\1/p' "$L" | paste -sd, -)"
    fact client_pingreq_sent "$(grep -c " SEND pingreq$" "$L" || true)"
    fact client_pingresp_received "$(grep -c " RECV pingresp$" "$L" || true)"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

scn_tcp_golang_ka5() {
    local n=tcp-golang-ka5 L=$WORK/tcp-golang-ka5.client.log
    (cd "$WORK/golang" && GOPATH=/usr/share/gocode GO111MODULE=off go build -o golang_client main.go) ||
        die "$n: go build"
    start_mosq $n
    start_capture $n
    start_bg "$L.stderr" "$WORK/golang/golang_client" --ka 5 --client-id mqttka-golang --duration 40 \
        --log "$L"
    wait_exit "$BGPID" 60 || die "$n: client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    facts_begin $n "paho.mqtt.golang $(dpkg-query -W -f='${Version}' golang-github-eclipse-paho.mqtt.golang-dev) over TCP, keepalive 5, ~40 s, DISCONNECT" \
        "this version checks its keepalive every KA/2 (2 s) against whole Unix seconds, so each PINGREQ" \
        "comes about 6 s after the client's last packet: past KAe + tol on a healthy connection"
    fact transport tcp; fact connections 1; fact mqtt_version 3.1.1; fact keepalive 5
    fact tcp_port 1883; fact client_id mqttka-golang; fact client paho-golang
    fact client_pingreq_sent "$(grep -c "keepalive sending ping" "$L" || true)"
    fact client_pingresp_received "$(grep -c "received pingresp" "$L" || true)"
    fact closed_by client; fact close_how disconnect; fact expected_verdict mqtt_disconnect
}

# ---------------------------------------------------------------- main
install_deps
write_helpers
ns_setup
for n in "${WANT[@]}"; do
    n=${n%.pcap}
    log "=== $n"
    "scn_${n//-/_}"
done
log "done: ${WANT[*]}"
