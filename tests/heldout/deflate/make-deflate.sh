#!/usr/bin/env bash
# Held-out permessage-deflate captures (issue 15; README.md beside this script).
#
#   sudo tests/heldout/deflate/make-deflate.sh            # all four
#   sudo tests/heldout/deflate/make-deflate.sh frozen     # one (takeover, no-takeover, frozen, killed)
#
# Debian 12, as root. aedes behind Node's `ws` with perMessageDeflate (threshold 0: every message
# compressed), MQTT.js clients (tests/heldout/tools/mqttjs_client.js) with perMessageDeflate,
# tcpdump on the loopback of a private network namespace (MTU 1500, no offload), as
# samples/capture.sh does. npm installs mqtt@5 aedes@1 ws@8 into .work/ (git-ignored). The
# .facts come from the clients' and aedes's logs (truth_deflate.py), never from mqttka.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=$(cd "$HERE/../tools" && pwd)
WORK=$HERE/.work
NS=${MQTTKA_DEFLATE_NS:-mqttka-heldout-deflate}
PY=/usr/bin/python3
SEED=${SEED:-1}   # the plan (keepalives, durations, kill moments): random.Random(name-of-capture)
MAX_PCAP=600000
ALL=(takeover no-takeover frozen killed)

log() { printf '[make-deflate %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $EUID -eq 0 ]] || die "run as root"
WANT=("$@"); [[ ${#WANT[@]} -gt 0 ]] || WANT=("${ALL[@]}")

missing=()
for c in tcpdump tshark node npm ethtool; do command -v $c >/dev/null || [[ -x /usr/sbin/$c ]] || missing+=("$c"); done
[[ " ${missing[*]} " != *" node "* ]] || missing=("${missing[@]/node/nodejs}")
if [[ ${#missing[@]} -gt 0 ]]; then
    apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$WORK"
[[ -f $WORK/package.json ]] || echo '{ "name": "mqttka-heldout-deflate-work", "private": true, "version": "0.0.0" }' >"$WORK/package.json"
if [[ ! -d $WORK/node_modules/mqtt || ! -d $WORK/node_modules/aedes || ! -d $WORK/node_modules/ws ]]; then
    (cd "$WORK" && npm install --no-audit --no-fund --silent mqtt@5 aedes@1 ws@8)
fi
ver() { node -p "require('$WORK/node_modules/$1/package.json').version"; }
VERSIONS="aedes $(ver aedes), ws $(ver ws), MQTT.js $(ver mqtt)"

PIDS=(); STOPPED=()
cleanup() {
    set +e
    for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
}
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns exec "$NS" ip link set lo up mtu 1500
ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "warning: ethtool -K lo failed"

start_bg() { local f=$1; shift; ip netns exec "$NS" "$@" >"$f" 2>&1 & BGPID=$!; PIDS+=("$BGPID"); }
wait_listen() { local i; for ((i = 0; i < 100; i++)); do ip netns exec "$NS" ss -ltnH "sport = :$1" | grep -q . && return 0; sleep 0.1; done; die "nothing on $1"; }
now() { date +%s.%N | cut -c1-17; }
plan() { $PY -c "import random; r = random.Random('$1'); $2"; }

start_capture() {
    CAP=$HERE/$1.pcap; rm -f "$CAP" "$HERE/$1.facts"
    start_bg "$WORK/$1.tcpdump.log" tcpdump -i lo -n -s 0 -U -w "$CAP" tcp port 1882
    TCPDUMP=$BGPID
    local i; for ((i = 0; i < 50; i++)); do grep -qs "listening on" "$WORK/$1.tcpdump.log" && break; sleep 0.1; done
    sleep 0.5
}
stop_capture() {
    sleep 1; kill -INT "$TCPDUMP" 2>/dev/null || true; wait "$TCPDUMP" 2>/dev/null || true
    log "$(basename "$CAP"): $(stat -c %s "$CAP") bytes"
    (($(stat -c %s "$CAP") < MAX_PCAP)) || die "$CAP too large"
}
start_broker() { # NAME DEFLATE_JSON -> $BROKER
    cp "$HERE/aedes_deflate.mjs" "$WORK/"   # an ES module resolves packages from its own folder, not NODE_PATH
    start_bg "$WORK/$1.aedes.log" node "$WORK/aedes_deflate.mjs" 1882 "$2"
    BROKER=$BGPID; wait_listen 1882
}
# client NAME N KA END SECONDS -> $BGPID; the script's own lines go to LOG.conf
client() {
    local n=$1 i=$2 ka=$3 end=$4 dur=$5 L=$WORK/$1-$2.client.log js_end=$4
    rm -f "$L" "$L".*
    [[ $end == disconnect ]] || js_end=hold
    printf '%s CONF keepalive=%s\n%s CONF client_id=hx-%s-%s\n%s CONF end=%s\n' "$(now)" "$ka" "$(now)" "$n" "$i" "$(now)" "$end" >"$L.conf"
    start_bg "$L.stderr" env NODE_PATH="$WORK/node_modules" node "$TOOLS/mqttjs_client.js" \
        "{\"url\": \"ws://127.0.0.1:1882/mqtt\", \"protocolVersion\": 4, \"keepalive\": $ka, \"clientId\": \"hx-$n-$i\",
          \"wsOptions\": {\"perMessageDeflate\": {\"threshold\": 0}}, \"sub\": [\"hx/$n/$i\"],
          \"pub\": [{\"at\": 0.5, \"topic\": \"hx/$n/$i\", \"size\": 60, \"qos\": 1}, {\"at\": 1, \"topic\": \"hx/$n/$i\", \"size\": 1500, \"qos\": 0}],
          \"duration\": $dur, \"end\": \"$js_end\", \"log\": \"$L\"}"
    CLOGS+=("$L")
}
wait_log() { # FILE PATTERN COUNT TIMEOUT_S
    local i n; for ((i = 0; i < $4 * 10; i++)); do n=$(grep -c "$2" "$1" 2>/dev/null || true); ((${n:-0} >= $3)) && return 0; sleep 0.1; done; return 1
}
# Every data frame of each direction carries RSV1 (compression really used), as samples/capture.sh's check_compressed.
check_compressed() {
    local dir all rsv1
    for dir in 1 0; do
        all=$(tshark -r "$CAP" -d tcp.port==1882,http -Y "websocket.mask == $dir && (websocket.opcode == 1 || websocket.opcode == 2)" -T fields -e frame.number 2>/dev/null | wc -l)
        rsv1=$(tshark -r "$CAP" -d tcp.port==1882,http -Y "websocket.mask == $dir && (websocket.opcode == 1 || websocket.opcode == 2) && websocket.rsv == 4" -T fields -e frame.number 2>/dev/null | wc -l)
        log "$(basename "$CAP"): $([[ $dir == 1 ]] && echo client || echo server) data frames $all, with RSV1 $rsv1"
        ((all > 0 && rsv1 == all)) || die "not every data frame is compressed"
    done
}
facts() { # CLASS DESCRIPTION
    $PY "$HERE/truth_deflate.py" "$CAP" "$1" "$SEED" "$WORK/$N.aedes.log" "$2"$'\n'"generated $(date -u +%FT%TZ); $VERSIONS" "${CLOGS[@]}"
}

healthy() { # NAME DEFLATE_JSON CLASS DESCRIPTION
    N=$1; CLOGS=(); local pids=() i ka d
    start_broker "$N" "$2"; start_capture "$N"
    for i in 1 2 3; do
        read -r ka d < <(plan "$N-$i" 'print(r.choice([2, 3]), round(r.uniform(6, 10), 2))')
        client "$N" $i "$ka" disconnect "$d"; pids+=("$BGPID")
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    stop_capture; kill "$BROKER"; wait "$BROKER" 2>/dev/null || true
    check_compressed
    facts "$3" "$4"
}

scn_takeover() {
    healthy deflate-takeover-s$SEED '{"threshold": 0}' deflate-takeover \
"3 MQTT.js clients (perMessageDeflate, threshold 0) to aedes behind ws (perMessageDeflate, threshold 0, context takeover),
keepalive 2 or 3, SUBSCRIBE, PUBLISH 60 B (QoS 1) and 1500 B (QoS 0) echoed, DISCONNECT after 6..10 s (seeded)"
}
scn_no-takeover() {
    healthy deflate-no-takeover-s$SEED '{"threshold": 0, "serverNoContextTakeover": true, "clientNoContextTakeover": true}' deflate-no-takeover \
"3 MQTT.js clients (perMessageDeflate, threshold 0) to aedes behind ws (perMessageDeflate, threshold 0,
server_no_context_takeover and client_no_context_takeover), keepalive 2 or 3, as deflate-takeover otherwise"
}
scn_frozen() {
    N=deflate-frozen-broker-s$SEED; CLOGS=(); local i ka pids=()
    start_broker "$N" '{"threshold": 0}'; start_capture "$N"
    for i in 1 2 3; do
        ka=$(plan "$N-$i" 'print(r.choice([2, 3]))'); client "$N" $i "$ka" frozen -1; pids+=("$BGPID")
    done
    for L in "${CLOGS[@]}"; do wait_log "$L" " RECV pingresp$" 1 20 || die "$L: no PINGRESP"; done
    # SIGSTOP right after a PINGRESP: each client's next PINGREQ goes unanswered
    kill -STOP "$BROKER"; STOPPED+=("$BROKER")
    log "$N: aedes SIGSTOPped"
    for L in "${CLOGS[@]}"; do wait_log "$L" " CLOSE$" 1 20 || die "$L: the client did not close"; done
    stop_capture
    kill -KILL "$BROKER" "${pids[@]}" 2>/dev/null || true; wait "$BROKER" "${pids[@]}" 2>/dev/null || true
    check_compressed
    facts deflate-frozen-broker \
"3 MQTT.js clients (keepalive 2 or 3) to aedes behind ws (perMessageDeflate, threshold 0, context takeover); aedes
SIGSTOPped once every client had read a PINGRESP, resumed after the capture: each client's next PINGREQ goes unanswered
and MQTT.js closes on its ping timeout (ERROR Keepalive timeout)"
}
scn_killed() {
    N=deflate-killed-s$SEED; CLOGS=(); local i ka k pids=() order
    start_broker "$N" '{"threshold": 0}'; start_capture "$N"
    for i in 1 2 3; do
        ka=$(plan "$N-$i" 'print(r.choice([2, 3]))'); client "$N" $i "$ka" killed -1; pids+=("$BGPID")
    done
    for L in "${CLOGS[@]}"; do wait_log "$L" " RECV connack" 1 20 || die "$L: no CONNACK"; done
    # each client SIGKILLed at a seeded moment 2..12 s after all three had their CONNACK: no DISCONNECT, no Close, the kernel closes
    order=$(plan "$N" 'print(" ".join("%d:%.2f" % (i, r.uniform(2, 12)) for i in (1, 2, 3)))')
    local t0; t0=$(now)
    for k in $(tr ' ' '\n' <<<"$order" | sort -t: -k2 -n); do
        i=${k%%:*}
        while awk -v a="$(now)" -v b="$t0" -v d="${k#*:}" 'BEGIN { exit !(a < b + d) }'; do sleep 0.02; done
        kill -KILL "${pids[$((i - 1))]}"; echo "$(now) KILLED" >>"${CLOGS[$((i - 1))]}.conf"
    done
    sleep 0.5
    stop_capture; kill "$BROKER"; wait "$BROKER" 2>/dev/null || true
    check_compressed
    facts deflate-killed \
"3 MQTT.js clients (keepalive 2 or 3) to aedes behind ws (perMessageDeflate, threshold 0, context takeover), each
SIGKILLed at a seeded moment 2..12 s after all three had their CONNACK: no DISCONNECT, no Close; the kernel closes (FIN, or RST if data was unread)"
}

for s in "${WANT[@]}"; do "scn_$s"; done
log "done: $(ls "$HERE"/*.pcap | wc -l) captures, $(du -cb "$HERE"/*.pcap | tail -1 | cut -f1) bytes"
