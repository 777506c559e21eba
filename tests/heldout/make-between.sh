#!/usr/bin/env bash
# Held-out captures for issue 14 ("between connections"): session takeovers, refused
# connections retried, CONNECTs that never get a CONNACK, a broker restart, a load balancer
# cutting idle connections, reconnect storms. Real brokers and clients on the loopback of a
# private network namespace, captured with tcpdump; ground truth (.facts, the samples' format
# plus the keys of tests/heldout/README-between.md) from the scenario's design and from the
# brokers', proxy's and clients' own logs, never from decoding the capture.
#
#   sudo tests/heldout/make-between.sh              # every capture (~5 minutes)
#   sudo tests/heldout/make-between.sh NAME ...     # only these (names without .pcap)
#   sudo tests/heldout/make-between.sh --list
#
# Debian 12, as root. Installs what it needs (apt: mosquitto, python3-paho-mqtt, tcpdump, nodejs,
# npm, iproute2, ethtool, haproxy, tshark; npm: mqtt@5 aedes@1 ws@8 into tests/heldout/between/.work/,
# git-ignored). The captures and their .facts go to tests/heldout/between/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/between
WORK=$OUT/.work
NS=mqttka-heldout-between    # our own namespace: other capture scripts may run at the same time
PY=/usr/bin/python3          # Debian's python, which sees python3-paho-mqtt
MAX_PCAP=600000

ALL=(ws-takeover-311-mosquitto ws-takeover-5-mosquitto tcp-takeover-5-mosquitto
     tcp-takeover-311-mosquitto ws-takeover-311-aedes tcp-takeover-311-aedes
     refused-mosquitto refused-aedes tcp-connack-missing-mosquitto ws-connack-missing-aedes
     broker-restart-mosquitto proxy-idle-haproxy storm-by-address)

log() { printf '[between %s] %s\n' "$(date +%T)" "$*" >&2; }
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
    export PATH=$PATH:/usr/sbin:/sbin
    command -v mosquitto >/dev/null || missing+=(mosquitto)
    $PY -c 'import paho.mqtt.client' 2>/dev/null || missing+=(python3-paho-mqtt)
    command -v tcpdump >/dev/null || missing+=(tcpdump)
    command -v tshark >/dev/null || missing+=(tshark)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v ethtool >/dev/null || missing+=(ethtool)
    command -v haproxy >/dev/null || missing+=(haproxy)
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    mkdir -p "$WORK"
    if [[ ! -f $WORK/package.json ]]; then
        echo '{ "name": "mqttka-heldout-between-work", "private": true, "version": "0.0.0" }' >"$WORK/package.json"
    fi
    if [[ ! -d $WORK/node_modules/mqtt || ! -d $WORK/node_modules/aedes || ! -d $WORK/node_modules/ws ]]; then
        log "npm install mqtt@5 aedes@1 ws@8 into $WORK"
        (cd "$WORK" && npm install --no-audit --no-fund --silent mqtt@5 aedes@1 ws@8)
    fi
}

# ---------------------------------------------------------------- helper programs
write_helpers() {
# paho python 1.6.1 client(s) with paho's own reconnect loop (loop_start -> loop_forever), a fixed
# reconnect delay. One log line "<epoch> <tag> <message>" per event; tag cK is the K-th client of
# the process. SOCKET_OPEN (paho's on_socket_open: after the TCP connect, and after the WebSocket
# handshake over websockets) names each connection's local address and port.
cat >"$WORK/paho_between.py" <<'EOF'
import argparse, os, random, string, threading, time
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=1882)
ap.add_argument("--transport", default="websockets", choices=["websockets", "tcp"])
ap.add_argument("--mqtt", default="3.1.1", choices=["3.1.1", "5.0"])
ap.add_argument("--ka", type=int, default=5)
ap.add_argument("--client-id", default="", help="the id; with --n K: ID-1 .. ID-K")
ap.add_argument("--random-id", action="store_true", help="a random id (once per process)")
ap.add_argument("--n", type=int, default=1, help="clients in this process")
ap.add_argument("--username")
ap.add_argument("--password")
ap.add_argument("--bind", default="", help="local address to connect from")
ap.add_argument("--reconnect", type=float, default=1.0, help="reconnect delay, s")
ap.add_argument("--pub-after", type=float, default=-1, help="publish once, this long after CONNACK")
ap.add_argument("--start-file", help="wait until this file exists before connecting (a start barrier)")
ap.add_argument("--duration", type=float, default=15.0, help="seconds from the start of connecting")
ap.add_argument("--end", default="disconnect", choices=["disconnect", "exit"])
ap.add_argument("--log", required=True)
a = ap.parse_args()

out = open(a.log, "w", buffering=1)
lock = threading.Lock()
def log(tag, msg):
    with lock:
        out.write("%.6f %s %s\n" % (time.time(), tag, msg))

def make(k):
    tag = "c%d" % k
    if a.random_id:
        cid = "rnd-" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(10))
    else:
        cid = a.client_id if a.n == 1 else "%s-%d" % (a.client_id, k)
    proto = mqtt.MQTTv5 if a.mqtt == "5.0" else mqtt.MQTTv311
    kw = {"transport": a.transport, "protocol": proto}
    if proto != mqtt.MQTTv5:
        kw["clean_session"] = True
    c = mqtt.Client(client_id=cid, **kw)
    if a.transport == "websockets":
        c.ws_set_options(path="/mqtt")
    if a.username is not None:
        c.username_pw_set(a.username, a.password)
    c.reconnect_delay_set(min_delay=a.reconnect, max_delay=a.reconnect)
    def on_socket_open(cl, ud, sock):
        s = getattr(sock, "_socket", sock)
        la = s.getsockname()
        log(tag, "SOCKET_OPEN LOCAL_ADDR %s LOCAL_PORT %d CLIENT_ID %s" % (la[0], la[1], cid))
    def on_socket_close(cl, ud, sock):
        log(tag, "SOCKET_CLOSE")
    def connected(cl):
        if a.pub_after >= 0:
            threading.Timer(a.pub_after, lambda: (cl.publish("heldout/" + tag, b"x" * 16, qos=0),
                                                  log(tag, "PUBLISH_CALLED"))).start()
    if proto == mqtt.MQTTv5:
        def on_connect(cl, ud, flags, rc, props):
            log(tag, "CONNACK rc=%d (%s)" % (rc.value, rc))
            if rc.value == 0:
                connected(cl)
        def on_disconnect(cl, ud, rc, props=None):
            log(tag, "ON_DISCONNECT rc=%s (%s)" % (getattr(rc, "value", rc), rc))
    else:
        def on_connect(cl, ud, flags, rc):
            log(tag, "CONNACK rc=%d (%s)" % (rc, mqtt.connack_string(rc)))
            if rc == 0:
                connected(cl)
        def on_disconnect(cl, ud, rc):
            log(tag, "ON_DISCONNECT rc=%d (%s)" % (rc, mqtt.error_string(rc)))
    c.on_socket_open, c.on_socket_close = on_socket_open, on_socket_close
    c.on_connect, c.on_disconnect = on_connect, on_disconnect
    c.on_log = lambda cl, ud, level, buf: log(tag, "PAHO " + buf)
    c.connect_async(a.host, a.port, keepalive=a.ka, bind_address=a.bind)
    return c

log("-", "START pid=%d" % os.getpid())
while a.start_file and not os.path.exists(a.start_file):
    time.sleep(0.02)
clients = [make(k + 1) for k in range(a.n)]
for c in clients:
    c.loop_start()
time.sleep(a.duration)
log("-", "END " + a.end)
if a.end == "exit":
    out.flush()
    os._exit(0)
for c in clients:
    c.disconnect()
time.sleep(0.5)
for c in clients:
    c.loop_stop()
log("-", "END done")
EOF

# MQTT.js client(s) with MQTT.js's own reconnect (reconnectPeriod). Same log shape as above.
cat >"$WORK/mqttjs_between.js" <<'EOF'
// argv[2]: JSON { url, protocolVersion, keepalive, clientId (absent: MQTT.js makes a random one),
//   n, username, password, reconnectPeriod, connectTimeout, reconnectOnConnackError, localAddress,
//   startFile (wait until it exists before connecting: a start barrier), duration (s from then),
//   end: "disconnect"|"exit", log,
//   churn: N (instead: N clients one after the other, each with a new random id, each dropped
//   with end(true), no DISCONNECT, holdMs after its CONNACK: a page that keeps reloading) }
const mqtt = require('mqtt')
const WS = require('ws')
const net = require('net')
const fs = require('fs')
const a = JSON.parse(process.argv[2])
const out = fs.openSync(a.log, 'w')
const log = (tag, m) => fs.writeSync(out, `${(Date.now() / 1000).toFixed(6)} ${tag} ${m}\n`)
const u = new URL(a.url)
const n = a.n || 1
const clients = []
log('-', `START pid=${process.pid} mqtt.js ${require('mqtt/package.json').version} url=${a.url}`)
const barrier = () => (!a.startFile || fs.existsSync(a.startFile)) ? (a.churn ? churn(1) : start()) : setTimeout(barrier, 20)
barrier()
function churn (k) {
  if (k > a.churn) { log('-', 'END done'); setTimeout(() => process.exit(0), 300); return }
  const tag = `c${k}`
  const c = mqtt.connect(a.url, {
    protocolVersion: a.protocolVersion || 4, keepalive: a.keepalive ?? 5, clean: true, reconnectPeriod: 0,
    createWebsocket: (url, protocols, o) => {
      const ws = new WS(url, protocols, { ...o.wsOptions, localAddress: a.localAddress })
      ws.on('open', () => log(tag, `SOCKET_OPEN LOCAL_ADDR ${ws._socket.localAddress} LOCAL_PORT ${ws._socket.localPort} CLIENT_ID ${c.options.clientId}`))
      return ws
    }
  })
  c.on('packetreceive', (p) => { if (p.cmd === 'connack') log(tag, `CONNACK rc=${p.returnCode ?? p.reasonCode}`) })
  c.on('error', (e) => log(tag, `ERROR ${e.code ?? ''} ${e.message}`))
  c.once('connect', () => setTimeout(() => { log(tag, 'DROP end(true), no DISCONNECT'); c.end(true) }, a.holdMs ?? 300))
  c.once('close', () => { log(tag, 'CLOSE'); setTimeout(() => churn(k + 1), 100) })
}
function start () {
for (let k = 1; k <= n; k++) {
  const tag = `c${k}`
  const clientId = a.clientId === undefined ? undefined : n === 1 ? a.clientId : `${a.clientId}-${k}`
  const opts = {
    protocolVersion: a.protocolVersion || 4,
    keepalive: a.keepalive ?? 5,
    clientId,
    clean: true,
    reconnectPeriod: a.reconnectPeriod ?? 1000,
    connectTimeout: a.connectTimeout ?? 5000,
    username: a.username,
    password: a.password,
    reconnectOnConnackError: !!a.reconnectOnConnackError
  }
  let c
  const opened = (sock) => log(tag, `SOCKET_OPEN LOCAL_ADDR ${sock.localAddress} LOCAL_PORT ${sock.localPort} CLIENT_ID ${c.options.clientId}`)
  if (u.protocol === 'ws:') {
    opts.createWebsocket = (url, protocols, o) => {
      const ws = new WS(url, protocols, { ...o.wsOptions, localAddress: a.localAddress })
      ws.on('open', () => opened(ws._socket))
      ws.on('close', (code) => log(tag, `WS_CLOSE code=${code}`))
      return ws
    }
    c = mqtt.connect(a.url, opts)
  } else {
    // plain TCP through MqttClient's stream builder, so the socket's own 'connect' gives the port
    c = new mqtt.MqttClient(() => {
      const s = net.createConnection({ host: u.hostname, port: Number(u.port), localAddress: a.localAddress })
      s.on('connect', () => opened(s))
      return s
    }, opts)
  }
  c.on('packetsend', (p) => {
    if (p.cmd === 'connect' || p.cmd === 'disconnect') log(tag, `SEND ${p.cmd}`)
    else if (p.cmd === 'pingreq') log(tag, 'SEND pingreq')
  })
  c.on('packetreceive', (p) => {
    if (p.cmd === 'connack') log(tag, `CONNACK rc=${p.returnCode ?? p.reasonCode}`)
    else if (p.cmd === 'disconnect') log(tag, `RECV disconnect reason=${p.reasonCode}`)
    else if (p.cmd === 'pingresp') log(tag, 'RECV pingresp')
  })
  c.on('error', (e) => log(tag, `ERROR ${e.code ?? ''} ${e.message}`))
  c.on('close', () => log(tag, 'CLOSE'))
  c.on('reconnect', () => log(tag, 'RECONNECT'))
  clients.push(c)
}
setTimeout(() => {
  log('-', `END ${a.end || 'disconnect'}`)
  if (a.end === 'exit') process.exit(0)
  let left = clients.length
  for (const c of clients) c.end(false, () => { if (--left === 0) { log('-', 'END done'); setTimeout(() => process.exit(0), 300) } })
  setTimeout(() => process.exit(0), 3000)
}, (a.duration ?? 15) * 1000)
}
EOF

# aedes broker with a TCP and a WebSocket listener and a per-user authenticate rule.
cat >"$WORK/aedes_between.mjs" <<'EOF'
// argv[2]: JSON { "tcpPort": 1883, "wsPort": 1882,
//   "auth": { "<username>": "allow" | "deny:CODE" | "hang", "*": ... } }   ("" is the anonymous user)
// Logs "<epoch> <message>" lines, each naming the client's port.
import http from 'node:http'
import net from 'node:net'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
const a = JSON.parse(process.argv[2])
const log = (m) => console.log(`${(Date.now() / 1000).toFixed(6)} ${m}`)
const portOf = new WeakMap()
const aedes = await Aedes.createBroker({
  authenticate: (client, username, password, done) => {
    const p = portOf.get(client.conn)
    const rule = (a.auth && (a.auth[username ?? ''] ?? a.auth['*'])) || 'allow'
    if (rule === 'hang') { log(`authenticate port=${p} id=${client.id} user=${username}: never answering`); return }
    if (rule.startsWith('deny:')) {
      const code = Number(rule.slice(5))
      log(`authenticate port=${p} id=${client.id} user=${username}: refusing with return code ${code}`)
      const e = new Error('refused by make-between.sh'); e.returnCode = code
      return done(e, false)
    }
    done(null, true)
  }
})
const track = (stream, port, transport) => {
  portOf.set(stream, port)
  log(`connection port=${port} transport=${transport}`)
  stream.on('close', () => log(`stream close port=${port}`))
}
if (a.tcpPort) {
  const srv = net.createServer((sock) => { track(sock, sock.remotePort, 'tcp'); aedes.handle(sock) })
  srv.listen(a.tcpPort, '127.0.0.1', () => log(`aedes tcp listening on ${a.tcpPort}`))
}
if (a.wsPort) {
  const httpServer = http.createServer()
  const wss = new WebSocketServer({ server: httpServer })
  wss.on('connection', (websocket, req) => {
    const s = createWebSocketStream(websocket)
    track(s, req.socket.remotePort, 'websocket')
    aedes.handle(s, req)
  })
  httpServer.listen(a.wsPort, '127.0.0.1', () => log(`aedes ws listening on ${a.wsPort}`))
}
aedes.on('client', (c) => log(`client port=${portOf.get(c.conn)} id=${c.id}`))
aedes.on('connackSent', (p, c) => log(`connackSent port=${portOf.get(c.conn)} id=${c.id} returnCode=${p.returnCode}`))
aedes.on('clientDisconnect', (c) => log(`clientDisconnect port=${portOf.get(c.conn)} id=${c.id}`))
aedes.on('clientError', (c, e) => log(`clientError port=${portOf.get(c.conn)} id=${c.id} ${e.message}`))
aedes.on('connectionError', (c, e) => log(`connectionError port=${portOf.get(c.conn)} ${e.message}`))
aedes.on('keepaliveTimeout', (c) => log(`keepaliveTimeout port=${portOf.get(c.conn)} id=${c.id}`))
// aedes closes the older connection of a client id inside registerClient ([MQTT-3.1.4-2]);
// log that decision with both ports: the truth of which connection was taken over by which
const register = aedes.registerClient.bind(aedes)
aedes.registerClient = (client) => {
  const old = aedes.clients[client.id]
  if (old) log(`takeover id=${client.id} old_port=${portOf.get(old.conn)} new_port=${portOf.get(client.conn)}`)
  register(client)
}
EOF
}

# ---------------------------------------------------------------- namespace, processes
PIDS=()
STOPPED=()
cleanup_procs() {
    set +e
    for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}
cleanup() {
    cleanup_procs
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

# The scenario's programs run at nice -5: they need little CPU but timely wake-ups, and the
# machines are shared with compilers (at load 30 a node client once took 80 s to connect).
start_bg() { # LOGFILE CMD...  -> CMD in the namespace, in the background; pid in $BGPID
    local logf=$1; shift
    nice -n -5 ip netns exec "$NS" "$@" >"$logf" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

wait_listen() { # PORT [TENTHS]
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

wait_all() { local p; for p in "$@"; do wait_exit "$p" 40 || die "process $p did not finish"; done; }
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
wait_count() { # FILE REGEX N [TIMEOUT_S]: until N lines of FILE match
    local i k
    for ((i = 0; i < ${4:-30} * 10; i++)); do
        k=$(grep -cE "$2" "$1" 2>/dev/null) || true
        ((${k:-0} >= $3)) && return 0
        sleep 0.1
    done
    die "$(basename "$1"): fewer than $3 lines matching '$2' after ${4:-30} s"
}
wait_log() { # FILE REGEX [TIMEOUT_S]: until a line of FILE matches (the machines are shared: no fixed sleeps)
    local i
    for ((i = 0; i < ${3:-20} * 10; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    die "$(basename "$1"): no line matching '$2' after ${3:-20} s"
}

# mosquitto 2.0.11: start_mosq NAME [extra config lines...] -> $MOSQ_PID, log $MOSQ_LOG.
# A plain listener beside the websockets one (2.0.11 does not start with websockets alone).
start_mosq() {
    local name=$1; shift
    MOSQ_CONF=$WORK/$name.mosquitto.conf
    MOSQ_LOG=$WORK/$name.mosquitto.log
    {
        echo "# generated by tests/heldout/make-between.sh"
        echo "user root"
        echo "per_listener_settings false"
        echo "persistence false"
        echo "log_dest file $MOSQ_LOG"
        echo "log_type all"
        echo "log_timestamp true"
        echo "log_timestamp_format %s"
        echo "connection_messages true"
        if [[ $# -gt 0 ]]; then printf '%s\n' "$@"; else echo "allow_anonymous true"; fi
        echo "listener 1883"
        echo "listener 1882"
        echo "protocol websockets"
    } >"$MOSQ_CONF"
    rm -f "$MOSQ_LOG"
    restart_mosq "$name"
}
restart_mosq() { # NAME: start mosquitto again with the same configuration and log (appended)
    start_bg "$WORK/$1.mosquitto.out.$RANDOM" mosquitto -c "$MOSQ_CONF"
    MOSQ_PID=$BGPID
    wait_listen 1883
    wait_listen 1882
}

start_aedes() { # NAME JSON -> $AEDES_PID, log $AEDES_LOG
    AEDES_LOG=$WORK/$1.aedes.log
    start_bg "$AEDES_LOG" node "$WORK/aedes_between.mjs" "$2"
    AEDES_PID=$BGPID
    wait_listen 1883
    wait_listen 1882
}

# Only the broker (and proxy) ports are captured: paho python 1.6.1 also opens a TCP socket pair
# on 127.0.0.1 to wake its own loop, which is noise here.
start_capture() { # NAME [FILTER]
    CAP_NAME=$1
    CAP_FILE=$OUT/$1.pcap
    rm -f "$CAP_FILE" "$OUT/$1.facts"
    start_bg "$WORK/$1.tcpdump.log" tcpdump -i lo -n -s 0 -U -w "$CAP_FILE" "${2:-tcp port 1882 or tcp port 1883}"
    CAP_PIDS+=("$BGPID")
    local i
    for ((i = 0; i < 50; i++)); do grep -qs "listening on" "$WORK/$1.tcpdump.log" && break; sleep 0.1; done
    sleep 0.5
}
CAP_PIDS=()
stop_capture() { # -> $CAP_END (epoch when the capture stopped), every running tcpdump stopped
    sleep 1
    CAP_END=$(date +%s.%N)
    local p
    for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    CAP_PIDS=()
}
check_size() { # FILE
    local size
    size=$(stat -c %s "$1")
    log "$(basename "$1"): $size bytes"
    ((size < MAX_PCAP)) || die "$(basename "$1") is $size bytes (limit $MAX_PCAP)"
}

# ---------------------------------------------------------------- client runners
py_client() { # LOGFILE ARGS...  (background; $BGPID)
    local logf=$1; shift
    start_bg "$logf.stderr" $PY "$WORK/paho_between.py" --log "$logf" "$@"
}
js_client() { # LOGFILE JSON  (background; $BGPID)
    local logf=$1 json=$2
    json=${json%\}}", \"log\": \"$logf\"}"
    start_bg "$logf.stderr" env NODE_PATH="$WORK/node_modules" node "$WORK/mqttjs_between.js" "$json"
}

versions() {
    echo "mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1)," \
         "paho-python $($PY -c 'import paho.mqtt;print(paho.mqtt.__version__)')," \
         "MQTT.js $(node -p "require('$WORK/node_modules/mqtt/package.json').version")," \
         "aedes $(node -p "require('$WORK/node_modules/aedes/package.json').version")," \
         "ws $(node -p "require('$WORK/node_modules/ws/package.json').version")," \
         "haproxy $(haproxy -v 2>/dev/null | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p')," \
         "node $(node --version)"
}

# truth NAME ARGS...: the .facts of capture NAME from the logs (tests/heldout/between/truth_between.py)
truth() {
    local name=$1; shift
    $PY "$OUT/truth_between.py" --out "$OUT/$name.facts" --name "$name" --cap-end "$CAP_END" \
        --comment "generated $(date -u +%Y-%m-%dT%H:%M:%SZ); $(versions)" "$@" \
        || die "$name: the truth could not be built from the logs"
    design_check "$name"
}

# design_check NAME: the capture holds one TCP connection (SYN) per connection of the truth,
# plus any connection attempt the truth counts as refused at the TCP level, and every closed_by
# of the truth is the side that sent the first FIN/RST. This checks the scenario did what it was
# built to do (a failed check reruns it); the truth itself never comes from the capture.
design_check() {
    local name=$1 syns want refused
    syns=$(tshark -r "$OUT/$name.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
    want=$(sed -n 's/^connections=//p' "$OUT/$name.facts")
    refused=$(sed -n 's/^tcp_attempts_refused=//p' "$OUT/$name.facts")
    ((syns == want + ${refused:-0})) || die "$name: $syns TCP connections in the capture, the truth has $want (+${refused:-0} refused)"
    log "$name: $want connections (+${refused:-0} refused TCP attempts), as in the capture"
    $PY "$OUT/truth_between.py" --check-closes "$OUT/$name.pcap" "$OUT/$name.facts" || die "$name: closed_by does not hold"
    log "$name: every closed_by is the side of the first FIN/RST in the capture"
    check_size "$OUT/$name.pcap"
}

# ---------------------------------------------------------------- scenarios
# a. session takeover ping-pong: two clients with one client id, each reconnecting 1 s after it
# is dropped; the broker closes the older connection every time the other connects.
takeover_mosq() { # NAME TRANSPORT(websockets|tcp) MQTT(3.1.1|5.0) CLIENT_A CLIENT_B (paho|js)
    local n=$1 tr=$2 v=$3 W=$WORK/$1 port=1882 url pv=4 pids=() i c
    [[ $tr == tcp ]] && port=1883
    [[ $v == 5.0 ]] && pv=5
    if [[ $tr == tcp ]]; then url="mqtt://127.0.0.1:$port"; else url="ws://127.0.0.1:$port/mqtt"; fi
    start_mosq "$n"
    start_capture "$n"
    local args=()
    for i in 1 2; do
        c=${4}; [[ $i == 2 ]] && c=$5
        if [[ $c == paho ]]; then
            py_client "$W.c$i.log" --transport "$tr" --port $port --mqtt "$v" --ka 5 --client-id "twin-$n" \
                --duration $((16 - i)) --reconnect 1
            args+=(--client "$W.c$i.log:paho-python:${tr/websockets/websocket}:$v:$port:5")
        else
            js_client "$W.c$i.log" "{\"url\": \"$url\", \"protocolVersion\": $pv, \"keepalive\": 5, \"clientId\": \"twin-$n\",
                \"reconnectPeriod\": 1000, \"duration\": $((16 - i))}"
            args+=(--client "$W.c$i.log:mqtt.js:${tr/websockets/websocket}:$v:$port:5")
        fi
        pids+=("$BGPID")
        sleep 0.5
    done
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$MOSQ_PID"
    truth "$n" --broker "mosquitto:$MOSQ_LOG" "${args[@]}" --cause takeover \
        --note "two clients share client id twin-$n and reconnect 1 s after being dropped; mosquitto closes the older connection every time the other connects ('Client ... already connected, closing old connection.')" \
        --note "mosquitto 2.0.11 closes the taken-over connection with a bare TCP FIN: no DISCONNECT 0x8E (also in MQTT 5.0, over WebSocket and over TCP), no WebSocket Close" \
        --note "the second client stops 1 s before the first; each sends DISCONNECT if it is connected at that moment"
}
scn_ws_takeover_311_mosquitto() { takeover_mosq ws-takeover-311-mosquitto websockets 3.1.1 paho paho; }
scn_ws_takeover_5_mosquitto() { takeover_mosq ws-takeover-5-mosquitto websockets 5.0 paho paho; }
scn_tcp_takeover_5_mosquitto() { takeover_mosq tcp-takeover-5-mosquitto tcp 5.0 paho js; }
scn_tcp_takeover_311_mosquitto() { takeover_mosq tcp-takeover-311-mosquitto tcp 3.1.1 js paho; }

takeover_aedes() { # NAME TRANSPORT
    local n=$1 tr=$2 W=$WORK/$1 port=1882 url
    [[ $tr == tcp ]] && port=1883
    if [[ $tr == tcp ]]; then url="mqtt://127.0.0.1:$port"; else url="ws://127.0.0.1:$port/mqtt"; fi
    start_aedes "$n" '{"tcpPort": 1883, "wsPort": 1882}'
    start_capture "$n"
    js_client "$W.c1.log" "{\"url\": \"$url\", \"protocolVersion\": 4, \"keepalive\": 5, \"clientId\": \"twin-$n\",
        \"reconnectPeriod\": 1000, \"duration\": 15}"
    local p1=$BGPID; sleep 0.5
    if [[ $tr == tcp ]]; then
        py_client "$W.c2.log" --transport tcp --port $port --ka 5 --client-id "twin-$n" --duration 14 --reconnect 1
        local c2="$W.c2.log:paho-python:tcp:3.1.1:$port:5"
    else
        js_client "$W.c2.log" "{\"url\": \"$url\", \"protocolVersion\": 4, \"keepalive\": 5, \"clientId\": \"twin-$n\",
            \"reconnectPeriod\": 1000, \"duration\": 14}"
        local c2="$W.c2.log:mqtt.js:websocket:3.1.1:$port:5"
    fi
    local p2=$BGPID
    wait_all "$p1" "$p2"
    stop_capture
    stop_pid "$AEDES_PID"
    truth "$n" --broker "aedes:$AEDES_LOG" --client "$W.c1.log:mqtt.js:${tr/websockets/websocket}:3.1.1:$port:5" \
        --client "$c2" --cause takeover --fact broker=aedes \
        --note "two clients share client id twin-$n; aedes closes the older connection in registerClient ([MQTT-3.1.4-2]); the broker log's 'takeover' lines name both ports" \
        --note "aedes 1.2.0 speaks MQTT 3.1.1 only: no DISCONNECT 0x8E exists for it; over WebSocket it terminates the socket (bare FIN, no WebSocket Close)"
}
scn_ws_takeover_311_aedes() { takeover_aedes ws-takeover-311-aedes websockets; }
scn_tcp_takeover_311_aedes() { takeover_aedes tcp-takeover-311-aedes tcp; }

# b. refused connections retried every second
scn_refused_mosquitto() {
    local n=refused-mosquitto W=$WORK/refused-mosquitto pids=()
    rm -f "$WORK/$n.passwd"
    mosquitto_passwd -b -c "$WORK/$n.passwd" alice secret
    start_mosq $n "allow_anonymous false" "password_file $WORK/$n.passwd"
    start_capture $n
    py_client "$W.c1.log" --transport websockets --port 1882 --ka 5 --client-id anon-paho-311 --duration 15
    pids+=("$BGPID"); sleep 0.3
    py_client "$W.c2.log" --transport tcp --port 1883 --mqtt 5.0 --ka 5 --client-id badpw-paho-5 \
        --username alice --password wrong --duration 15
    pids+=("$BGPID"); sleep 0.3
    js_client "$W.c3.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 5, "keepalive": 5, "clientId": "anon-js-5",
        "reconnectPeriod": 1000, "reconnectOnConnackError": true, "duration": 15}'
    pids+=("$BGPID"); sleep 0.3
    js_client "$W.c4.log" '{"url": "mqtt://127.0.0.1:1883", "protocolVersion": 4, "keepalive": 5, "clientId": "badpw-js-311",
        "username": "alice", "password": "nope", "reconnectPeriod": 1000, "reconnectOnConnackError": true, "duration": 15}'
    pids+=("$BGPID"); sleep 0.3
    py_client "$W.c5.log" --transport websockets --port 1882 --ka 5 --client-id alice-ok --username alice --password secret --duration 14
    pids+=("$BGPID")
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$MOSQ_PID"
    truth $n --broker "mosquitto:$MOSQ_LOG" \
        --client "$W.c1.log:paho-python:websocket:3.1.1:1882:5" --client "$W.c2.log:paho-python:tcp:5.0:1883:5" \
        --client "$W.c3.log:mqtt.js:websocket:5.0:1882:5" --client "$W.c4.log:mqtt.js:tcp:3.1.1:1883:5" \
        --client "$W.c5.log:paho-python:websocket:3.1.1:1882:5" --cause refused \
        --note "mosquitto with allow_anonymous false and a password file (user alice); four clients refused and retrying every second (paho's reconnect loop, MQTT.js reconnectPeriod 1000 with reconnectOnConnackError), one client (alice-ok) with the right password" \
        --note "mosquitto 2.0.11 answers both an anonymous client and a wrong password with 3.1.1 return code 5 (not 4) and MQTT 5 reason 0x87 Not authorized (not 0x86), and closes the connection ('Client <unknown> disconnected, not authorised.'), but the client sometimes closes first: closed_by is left out for refusals"
}

scn_refused_aedes() {
    local n=refused-aedes W=$WORK/refused-aedes pids=()
    start_aedes $n '{"tcpPort": 1883, "wsPort": 1882, "auth": {"alice": "allow", "mallory": "deny:4", "": "deny:5", "*": "deny:5"}}'
    start_capture $n
    js_client "$W.c1.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 5, "clientId": "mallory-js",
        "username": "mallory", "password": "x", "reconnectPeriod": 1000, "reconnectOnConnackError": true, "duration": 15}'
    pids+=("$BGPID"); sleep 0.3
    py_client "$W.c2.log" --transport tcp --port 1883 --ka 5 --client-id anon-paho --duration 15
    pids+=("$BGPID"); sleep 0.3
    js_client "$W.c3.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 5, "keepalive": 5, "clientId": "v5-js",
        "username": "alice", "password": "x", "reconnectPeriod": 1000, "reconnectOnConnackError": true, "duration": 15}'
    pids+=("$BGPID"); sleep 0.3
    js_client "$W.c4.log" '{"url": "mqtt://127.0.0.1:1883", "protocolVersion": 4, "keepalive": 5, "clientId": "alice-ok",
        "username": "alice", "password": "x", "reconnectPeriod": 1000, "duration": 14}'
    pids+=("$BGPID")
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$AEDES_PID"
    truth $n --broker "aedes:$AEDES_LOG" --fact broker=aedes \
        --client "$W.c1.log:mqtt.js:websocket:3.1.1:1882:5" --client "$W.c2.log:paho-python:tcp:3.1.1:1883:5" \
        --client "$W.c3.log:mqtt.js:websocket:5.0:1882:5" --client "$W.c4.log:mqtt.js:tcp:3.1.1:1883:5" --cause refused \
        --note "aedes with an authenticate hook: user mallory refused with return code 4 (bad user name or password), anonymous refused with 5 (not authorized), alice allowed" \
        --note "aedes 1.2.0 does not speak MQTT 5: it answers an MQTT 5 CONNECT (v5-js, user alice) with a 3.1.1-format CONNACK 20 02 00 01 (return code 1, unacceptable protocol version, MQTT-3.1.2-2) and MQTT.js retries every second" \
        --note "after a refusal MQTT.js closes the socket itself at once (its connack handler), racing the broker's close: closed_by is left out for refusals"
}

# c. CONNECT with no CONNACK
scn_tcp_connack_missing_mosquitto() {
    local n=tcp-connack-missing-mosquitto W=$WORK/tcp-connack-missing-mosquitto p1 p2 t_stop
    start_mosq $n
    start_capture $n
    py_client "$W.c1.log" --transport tcp --port 1883 --ka 3 --client-id frozen-paho --duration 15
    p1=$BGPID; sleep 0.3
    js_client "$W.c2.log" '{"url": "mqtt://127.0.0.1:1883", "protocolVersion": 4, "keepalive": 4, "clientId": "frozen-js",
        "reconnectPeriod": 1000, "connectTimeout": 2000, "duration": 14.7}'
    p2=$BGPID
    wait_log "$W.c1.log" "CONNACK rc=0"; wait_log "$W.c2.log" "CONNACK rc=0"
    sleep 0.5
    kill -STOP "$MOSQ_PID"; STOPPED+=("$MOSQ_PID")
    t_stop=$(date +%s.%N)
    wait_all "$p1" "$p2"
    stop_capture
    cp "$MOSQ_LOG" "$MOSQ_LOG.at-capture-end"   # what mosquitto does once resumed is not in the capture
    kill -CONT "$MOSQ_PID"     # resumed only after the capture has stopped
    stop_pid "$MOSQ_PID"
    truth $n --broker "mosquitto:$MOSQ_LOG.at-capture-end" --broker-frozen-at "$t_stop" \
        --client "$W.c1.log:paho-python:tcp:3.1.1:1883:3" --client "$W.c2.log:mqtt.js:tcp:3.1.1:1883:4" --cause connack_missing \
        --note "both clients connect; 0.5 s after both have their CONNACK mosquitto is frozen (SIGSTOP) and resumed only after the capture stopped: the kernel still completes the TCP handshake of every new connection and ACKs its CONNECT, which is never answered" \
        --note "the first connection of each client ends with its PINGREQ unanswered; every later one is a CONNECT with no CONNACK: paho python closes it after KA (3 s, rc 16), MQTT.js after connectTimeout 2 s; both retry 1 s later" \
        --note "the broker never closes anything in the capture; at the end each client process exits (paho has no connection to DISCONNECT)"
}

scn_ws_connack_missing_aedes() {
    local n=ws-connack-missing-aedes W=$WORK/ws-connack-missing-aedes pids=()
    start_aedes $n '{"tcpPort": 1883, "wsPort": 1882, "auth": {"zombie": "hang", "*": "allow"}}'
    start_capture $n
    js_client "$W.c1.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 5, "clientId": "zombie-js",
        "username": "zombie", "password": "x", "reconnectPeriod": 1000, "connectTimeout": 2000, "duration": 15}'
    pids+=("$BGPID"); sleep 0.3
    py_client "$W.c2.log" --transport websockets --port 1882 --ka 4 --client-id zombie-paho --username zombie --password x --duration 15
    pids+=("$BGPID"); sleep 0.3
    js_client "$W.c3.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 5, "clientId": "healthy-js",
        "reconnectPeriod": 1000, "duration": 14}'
    pids+=("$BGPID")
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$AEDES_PID"
    truth $n --broker "aedes:$AEDES_LOG" --fact broker=aedes \
        --client "$W.c1.log:mqtt.js:websocket:3.1.1:1882:5" --client "$W.c2.log:paho-python:websocket:3.1.1:1882:4" \
        --client "$W.c3.log:mqtt.js:websocket:3.1.1:1882:5" --cause connack_missing \
        --note "aedes whose authenticate hook never calls back for user zombie: the CONNECT is never answered; MQTT.js closes after connectTimeout 2 s, paho python after KA 4 s, both retry 1 s later" \
        --note "healthy-js (anonymous, allowed) shows the broker is otherwise fine; the clients' last connections are still waiting for a CONNACK when the processes exit"
}

# d. broker restart: 24 clients (mixed), mosquitto SIGTERMed and started again
scn_broker_restart_mosquitto() {
    local n=broker-restart-mosquitto W=$WORK/broker-restart-mosquitto pids=() t_term
    start_mosq $n
    start_capture $n
    local go=$WORK/$n.go      # a start barrier: process start-up is slow on a busy machine
    py_client "$W.c1.log" --transport websockets --port 1882 --ka 10 --client-id fleet-paho-ws --n 6 --duration 12 --start-file "$go"
    pids+=("$BGPID")
    py_client "$W.c2.log" --transport tcp --port 1883 --mqtt 5.0 --ka 10 --client-id fleet-paho-tcp5 --n 6 --duration 12 --start-file "$go"
    pids+=("$BGPID")
    js_client "$W.c3.log" "{\"url\": \"ws://127.0.0.1:1882/mqtt\", \"protocolVersion\": 5, \"keepalive\": 10, \"clientId\": \"fleet-js-ws5\",
        \"n\": 6, \"reconnectPeriod\": 1000, \"duration\": 12, \"startFile\": \"$go\"}"
    pids+=("$BGPID")
    js_client "$W.c4.log" "{\"url\": \"mqtt://127.0.0.1:1883\", \"protocolVersion\": 4, \"keepalive\": 10, \"clientId\": \"fleet-js-tcp\",
        \"n\": 6, \"reconnectPeriod\": 1000, \"duration\": 12, \"startFile\": \"$go\"}"
    pids+=("$BGPID")
    local f
    for f in "$W.c1.log" "$W.c2.log" "$W.c3.log" "$W.c4.log"; do wait_log "$f" "START" 60; done
    touch "$go"
    local f
    for f in "$W.c1.log" "$W.c2.log" "$W.c3.log" "$W.c4.log"; do wait_count "$f" "CONNACK rc=0" 6; done
    sleep 2
    t_term=$(date +%s.%N)
    kill -TERM "$MOSQ_PID"; wait "$MOSQ_PID" 2>/dev/null || true
    restart_mosq $n
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$MOSQ_PID"
    truth $n --broker "mosquitto:$MOSQ_LOG" --server-close-at "$t_term:broker_restart" \
        --client "$W.c1.log:paho-python:websocket:3.1.1:1882:10" --client "$W.c2.log:paho-python:tcp:5.0:1883:10" \
        --client "$W.c3.log:mqtt.js:websocket:5.0:1882:10" --client "$W.c4.log:mqtt.js:tcp:3.1.1:1883:10" \
        --note "24 clients (6 paho WebSocket 3.1.1, 6 paho TCP 5.0, 6 MQTT.js WebSocket 5.0, 6 MQTT.js TCP 3.1.1), each its own id, start connecting together; 2 s after the last CONNACK mosquitto gets SIGTERM and is started again as soon as it has exited; every client reconnects 1 s after losing its connection; all DISCONNECT 12 s after the start" \
        --note "mosquitto 2.0.11 closes every connection on SIGTERM with a bare FIN: no DISCONNECT 0x8B Server shutting down even to MQTT 5 clients, no WebSocket Close"
}

# e. a load balancer cutting idle connections at the same age: haproxy (tcp mode) with
# timeout client/server 6 s in front of mosquitto; clients whose keepalive is above 6 s.
scn_proxy_idle_haproxy() {
    local n=proxy-idle-haproxy W=$WORK/proxy-idle-haproxy pids=() hpid
    start_mosq $n
    cat >"$WORK/$n.haproxy.cfg" <<EOF
# generated by tests/heldout/make-between.sh
global
    log stdout format raw local0 info
defaults
    mode tcp
    log global
    log-format "HAPROXY accept=%Ts.%ms client=%ci:%cp frontend=%ft backend_src=%bi:%bp server=%si:%sp Tt=%Tt term=%ts bytes=%B"
    timeout connect 2s
    timeout client 6s
    timeout server 6s
frontend fe_ws
    bind 127.0.0.1:8082
    default_backend be_ws
backend be_ws
    server mosquitto_ws 127.0.0.1:1882
frontend fe_tcp
    bind 127.0.0.1:8083
    default_backend be_tcp
backend be_tcp
    server mosquitto_tcp 127.0.0.1:1883
EOF
    start_bg "$WORK/$n.haproxy.log" haproxy -db -f "$WORK/$n.haproxy.cfg"
    hpid=$BGPID
    wait_listen 8082; wait_listen 8083
    # two captures of one run: the clients' side of the proxy and the broker's side
    start_capture "$n-front" "tcp port 8082 or tcp port 8083"
    start_capture "$n-back" "tcp port 1882 or tcp port 1883"
    local ka go=$WORK/$n.go     # a start barrier, so that the clients connect together
    for ka in 10 30; do
        py_client "$W.paho-tcp-$ka.log" --transport tcp --port 8083 --ka $ka --client-id "lb-paho-tcp-ka$ka" --duration 16.5 --start-file "$go"
        pids+=("$BGPID")
        py_client "$W.paho-ws-$ka.log" --transport websockets --port 8082 --ka $ka --client-id "lb-paho-ws-ka$ka" --duration 16.5 --start-file "$go"
        pids+=("$BGPID")
        js_client "$W.js-tcp-$ka.log" "{\"url\": \"mqtt://127.0.0.1:8083\", \"protocolVersion\": 4, \"keepalive\": $ka,
            \"clientId\": \"lb-js-tcp-ka$ka\", \"reconnectPeriod\": 1000, \"duration\": 16.5, \"startFile\": \"$go\"}"
        pids+=("$BGPID")
        js_client "$W.js-ws-$ka.log" "{\"url\": \"ws://127.0.0.1:8082/mqtt\", \"protocolVersion\": 5, \"keepalive\": $ka,
            \"clientId\": \"lb-js-ws-ka$ka\", \"reconnectPeriod\": 1000, \"duration\": 16.5, \"startFile\": \"$go\"}"
        pids+=("$BGPID")
    done
    py_client "$W.paho-ws-4.log" --transport websockets --port 8082 --ka 4 --client-id lb-paho-ws-ka4 --duration 16.5 --start-file "$go"
    pids+=("$BGPID")
    local f
    for f in paho-tcp-10 paho-ws-10 js-tcp-10 js-ws-10 paho-tcp-30 paho-ws-30 js-tcp-30 js-ws-30 paho-ws-4; do
        wait_log "$W.$f.log" "START" 60
    done
    touch "$go"
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$hpid"
    stop_pid "$MOSQ_PID"
    local cl=()
    for f in paho-tcp-10:paho-python:tcp:3.1.1:8083:10 paho-ws-10:paho-python:websocket:3.1.1:8082:10 \
             js-tcp-10:mqtt.js:tcp:3.1.1:8083:10 js-ws-10:mqtt.js:websocket:5.0:8082:10 \
             paho-tcp-30:paho-python:tcp:3.1.1:8083:30 paho-ws-30:paho-python:websocket:3.1.1:8082:30 \
             js-tcp-30:mqtt.js:tcp:3.1.1:8083:30 js-ws-30:mqtt.js:websocket:5.0:8082:30 \
             paho-ws-4:paho-python:websocket:3.1.1:8082:4; do
        cl+=(--client "$W.${f%%:*}.log:${f#*:}")
    done
    local notes=(--note "haproxy $(haproxy -v | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p') in tcp mode, timeout client 6s / timeout server 6s, in front of mosquitto (8082 -> 1882 websockets, 8083 -> 1883)"
                 --note "eight clients with keepalive 10 or 30 (above the proxy's 6 s) started together: haproxy cuts every one of them after 6 s of silence, with a FIN to both sides (termination state cD), and they reconnect 1 s later, so the cuts come in rounds at the same age; lb-paho-ws-ka4 pings every 4 s and is never cut"
                 --note "one run, two captures: -front is the clients' side (client -> haproxy), -back the broker's side (haproxy -> mosquitto, matched to the clients through haproxy's log)")
    truth "$n-front" --proxy "haproxy:$WORK/$n.haproxy.log" --side front --proxy-timeout 6 "${cl[@]}" "${notes[@]}"
    truth "$n-back" --proxy "haproxy:$WORK/$n.haproxy.log" --side back --proxy-timeout 6 \
        --broker "mosquitto:$MOSQ_LOG" "${cl[@]}" "${notes[@]}"
}

# f. one client address storming with empty or random client ids (a crash-looping device):
# a process that connects, publishes and exits without DISCONNECT, restarted at once.
scn_storm_by_address() {
    local n=storm-by-address W=$WORK/storm-by-address pids=() k end f
    start_mosq $n
    start_capture $n
    py_client "$W.steady.log" --transport tcp --port 1883 --ka 5 --client-id steady-sensor --duration 22
    pids+=("$BGPID")
    end=$(($(date +%s) + 20))
    # three devices behind 127.0.0.77, each crash-looping at most 8 times within 20 s
    for k in 1 2 3; do
        ( i=0; while ((i < 8 && $(date +%s) < end)); do
              i=$((i + 1))
              nice -n -5 ip netns exec "$NS" $PY "$WORK/paho_between.py" --log "$W.empty.$k.$i.log" --transport tcp --port 1883 \
                  --bind 127.0.0.77 --ka 5 --client-id "" --pub-after 0.1 --duration 0.6 --end exit
          done ) &
        pids+=("$!"); PIDS+=("$!")
    done
    # and one MQTT.js process behind 127.0.0.88 making a new client (a new random id) every time
    js_client "$W.random.log" '{"url": "ws://127.0.0.1:1882/mqtt", "protocolVersion": 4, "keepalive": 5,
        "localAddress": "127.0.0.88", "churn": 16, "holdMs": 400}'
    pids+=("$BGPID")
    wait_all "${pids[@]}"
    stop_capture
    stop_pid "$MOSQ_PID"
    local cl=(--client "$W.steady.log:paho-python:tcp:3.1.1:1883:5")
    for f in "$W".empty.*.log; do cl+=(--client "$f:paho-python:tcp:3.1.1:1883:5"); done
    cl+=(--client "$W.random.log:mqtt.js:websocket:3.1.1:1882:5")
    truth $n --broker "mosquitto:$MOSQ_LOG" "${cl[@]}" --cause client_exits \
        --addr-group 127.0.0.77 --addr-group 127.0.0.88 \
        --note "from 127.0.0.77: three crash-looping devices, paho python with an EMPTY client id (mosquitto assigns one): each process connects, publishes once and exits 0.6 s after it started connecting, without DISCONNECT; a shell loop restarts it at once, at most 8 times in 20 s" \
        --note "from 127.0.0.88: one MQTT.js process that keeps making a new client, with a new random id (mqttjs_...) each time, and drops it with end(true) (no DISCONNECT) 0.4 s after its CONNACK, 16 times (a page that keeps reloading)" \
        --note "steady-sensor (127.0.0.1) stays connected the whole time; per-client objects for empty ids go by address (clientK.client_addr); storms by address (stormK.client_addr) for both addresses"
}

# ---------------------------------------------------------------- main
install_deps
write_helpers
ns_setup
mkdir -p "$OUT"
# A scenario whose logs do not add up (a design check or the truth builder fails: on a busy
# machine a client may start too late) is run again, up to three times.
for n in "${WANT[@]}"; do
    n=${n%.pcap}
    for try in 1 2 3; do
        log "=== $n (try $try)"
        rm -f "$WORK/$n".*     # the logs of an earlier try must not satisfy this one's waits
        set +e     # (not "if ( ... )": set -e would be off inside the subshell)
        ( set -e; trap cleanup_procs EXIT; trap 'exit 130' INT TERM; "scn_${n//-/_}" )
        rc=$?
        set -e
        ((rc != 0)) || continue 2
    done
    die "$n failed three times"
done
log "done: ${WANT[*]}"
