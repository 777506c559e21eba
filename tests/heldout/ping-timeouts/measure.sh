#!/usr/bin/env bash
# Measure when real MQTT client libraries give up on an unanswered PINGREQ (issue 18: the
# tolerance of each library in docs/ping-timeouts.md).
#
#   sudo tests/heldout/ping-timeouts/measure.sh                  # every library, KAS, ROUNDS
#   sudo tests/heldout/ping-timeouts/measure.sh paho-python mqttjs5   # only these libraries
#   sudo KAS="3 5" ROUNDS=1 CLIENTS=4 tests/heldout/ping-timeouts/measure.sh paho-golang
#   (libmosquitto takes KAS_LIBMOSQUITTO, default "5 7 10": it refuses keepalives under 5 s)
#   tests/heldout/ping-timeouts/measure.sh --list
#   tests/heldout/ping-timeouts/analyse.py      # (re)compute results/ from the captures in .work/
#
# Debian 12, as root. Installs what it needs (apt: mosquitto, mosquitto-clients,
# python3-paho-mqtt, paho.mqtt.c-examples, golang-go, golang-github-eclipse-paho.mqtt.golang-dev,
# tcpdump, tshark, nodejs, npm, iproute2, ethtool; npm: mqtt@4, mqtt@5.5.5 and mqtt@5 under
# aliases into .work/, git-ignored), then, inside a private network namespace ($NS) whose
# loopback has MTU 1500 and no segmentation offload (as samples/capture.sh does), for every
# library, keepalive KA and round:
#   1. starts a fresh mosquitto (plain TCP listener on 1883) and tcpdump on port 1883;
#   2. starts CLIENTS clients of that library at seeded moments over [0, KA) (so their ping
#      phases differ), each only subscribing and keeping the connection alive;
#   3. SIGSTOPs mosquitto at a seeded moment 1.5 KA + 1 .. 2.5 KA + 1 s after the last client
#      connected (mosquitto's log): the kernel still ACKs, nothing answers, so every client's
#      next PINGREQ goes unanswered (the load average at that moment is kept beside the capture);
#   4. waits until every connection open at the freeze has left ESTABLISHED (the client gave up)
#      or a cap passes, then stops the capture and everything else.
# The capture is .work/cap/LIB-kaKA-rROUND.pcap, the clients' logs beside it; analyse.py reads
# the times on the wire (tshark) and writes results/measurements.tsv and results/summary.tsv.
# Nothing here is tuned to mqttka: the numbers are what the libraries did.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$HERE/.work
CAP=$WORK/cap
NS=${MQTTKA_PING_NS:-mqttka-pingtimeouts}
PY=/usr/bin/python3          # Debian's python, which sees python3-paho-mqtt
KAS=${KAS:-3 5 10}
KAS_LIBMOSQUITTO=${KAS_LIBMOSQUITTO:-5 7 10}   # libmosquitto >= 1.6.9 refuses keepalives under 5 s
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-8}

ALL=(paho-python libmosquitto mqttjs4 mqttjs555 mqttjs5 paho-c-async paho-c-sync paho-golang)

log() { printf '[ping-timeouts %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
[[ $EUID -eq 0 ]] || die "run as root (sudo $0)"
WANT=("$@")
[[ ${#WANT[@]} -gt 0 ]] || WANT=("${ALL[@]}")
for l in "${WANT[@]}"; do [[ " ${ALL[*]} " == *" $l "* ]] || die "unknown library '$l' (try --list)"; done

# ---------------------------------------------------------------- dependencies
install_deps() {
    export PATH=$PATH:/usr/sbin:/sbin
    local missing=()
    command -v mosquitto >/dev/null || missing+=(mosquitto)
    command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)
    $PY -c 'import paho.mqtt.client' 2>/dev/null || missing+=(python3-paho-mqtt)
    command -v paho_c_sub >/dev/null || missing+=(paho.mqtt.c-examples)
    command -v go >/dev/null || missing+=(golang-go)
    [[ -d /usr/share/gocode/src/github.com/eclipse/paho.mqtt.golang ]] || missing+=(golang-github-eclipse-paho.mqtt.golang-dev)
    command -v tcpdump >/dev/null || missing+=(tcpdump)
    command -v tshark >/dev/null || missing+=(tshark)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v ethtool >/dev/null || missing+=(ethtool)
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    mkdir -p "$WORK" "$CAP"
    [[ -f $WORK/package.json ]] || echo '{ "name": "mqttka-ping-timeouts-work", "private": true, "version": "0.0.0" }' >"$WORK/package.json"
    if [[ ! -d $WORK/node_modules/mqtt4 || ! -d $WORK/node_modules/mqtt555 || ! -d $WORK/node_modules/mqtt5 ]]; then
        log "npm install mqtt@4 mqtt@5.5.5 mqtt@5 into $WORK"
        (cd "$WORK" && npm install --no-audit --no-fund --silent mqtt4@npm:mqtt@4 mqtt555@npm:mqtt@5.5.5 mqtt5@npm:mqtt@5)
    fi
    if [[ ! -x $WORK/golang_ka || $HERE/clients/golang_ka.go -nt $WORK/golang_ka ]]; then
        log "go build golang_ka (GOPATH mode, Debian's paho.mqtt.golang)"
        mkdir -p "$WORK/gobuild"
        cp "$HERE/clients/golang_ka.go" "$WORK/gobuild/main.go"
        (cd "$WORK/gobuild" && GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE=$WORK/gocache go build -o "$WORK/golang_ka" main.go)
    fi
}

# ---------------------------------------------------------------- namespace, processes
PIDS=()
cleanup() {
    set +e
    [[ -n ${MOSQ_PID:-} ]] && kill -CONT "$MOSQ_PID" 2>/dev/null
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
    ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "warning: ethtool -K lo failed"
}

start_bg() { # LOGFILE CMD...  -> $BGPID
    local logf=$1; shift
    ip netns exec "$NS" "$@" >"$logf" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

wait_listen() {
    local i
    for ((i = 0; i < 50; i++)); do
        ip netns exec "$NS" ss -ltnH "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing listening on port $1"
}

stop_pids() { # PID...: TERM, then KILL what is left (only our own children)
    local p
    for p in "$@"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "$@"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}

# seeded plan: "start_1 ... start_N freeze_after_last_start" for NAME, KA, N
plan() {
    $PY - "$1" "$2" "$3" <<'EOF'
import random, sys
name, ka, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(name)
starts = sorted(round(r.uniform(0, ka), 3) for _ in range(n))
print(" ".join("%.3f" % s for s in starts), "%.3f" % (1.5 * ka + 1 + r.uniform(0, ka)))
EOF
}

start_client() { # LIB KA ID LOGFILE
    local lib=$1 ka=$2 id=$3 logf=$4
    case $lib in
        paho-python)  start_bg "$logf.out" $PY "$HERE/clients/paho_ka.py" --ka "$ka" --id "$id" --log "$logf" ;;
        mqttjs4)      start_bg "$logf.out" node "$HERE/clients/mqttjs_ka.js" "$WORK/node_modules/mqtt4" "$ka" "$id" "$logf" ;;
        mqttjs555)    start_bg "$logf.out" node "$HERE/clients/mqttjs_ka.js" "$WORK/node_modules/mqtt555" "$ka" "$id" "$logf" ;;
        mqttjs5)      start_bg "$logf.out" node "$HERE/clients/mqttjs_ka.js" "$WORK/node_modules/mqtt5" "$ka" "$id" "$logf" ;;
        paho-golang)  start_bg "$logf.out" "$WORK/golang_ka" "$ka" "$id" "$logf" ;;
        # libmosquitto 2.0.11 (mosquitto_sub refuses KA < 5): the library through ctypes, in
        # mosquitto_loop_forever(timeout -1) as mosquitto_sub runs it
        libmosquitto) start_bg "$logf.out" $PY "$HERE/clients/libmosquitto_ka.py" --ka "$ka" --id "$id" --log "$logf" ;;
        # paho C 1.3.12: paho_c_sub is the MQTTAsync client, paho_cs_sub the MQTTClient (sync) one
        paho-c-async) start_bg "$logf" paho_c_sub -h 127.0.0.1 -p 1883 -k "$ka" -i "$id" -t "ka/$id" --trace protocol ;;
        paho-c-sync)  start_bg "$logf" paho_cs_sub -h 127.0.0.1 -p 1883 -k "$ka" -i "$id" -t "ka/$id" --trace protocol ;;
    esac
}

established_client_ports() { # the client ends of established connections to 1883
    ip netns exec "$NS" ss -tnH state established "( dport = :1883 )" | awk '{print $3}' | sed 's/.*://' | sort
}

run_group() { # LIB KA ROUND
    local lib=$1 ka=$2 round=$3 name="$1-ka$2-r$3"
    local conf=$WORK/$name.mosquitto.conf i
    rm -f "$CAP/$name".*
    printf '%s\n' "user root" "per_listener_settings false" "allow_anonymous true" "persistence false" \
        "log_dest file $CAP/$name.mosquitto.log" "log_type all" "log_timestamp true" \
        "log_timestamp_format %s" "connection_messages true" "listener 1883" >"$conf"
    start_bg "$CAP/$name.mosquitto.out" mosquitto -c "$conf"
    MOSQ_PID=$BGPID
    wait_listen 1883
    start_bg "$CAP/$name.tcpdump.log" tcpdump -i lo -n -s 0 -U -w "$CAP/$name.pcap" tcp port 1883
    local tcpdump_pid=$BGPID
    for ((i = 0; i < 50; i++)); do grep -qs "listening on" "$CAP/$name.tcpdump.log" && break; sleep 0.1; done
    sleep 0.3
    local p starts freeze_after
    p=($(plan "$name" "$ka" "$CLIENTS"))
    freeze_after=${p[$CLIENTS]}
    local t0 clients=() last=0
    t0=$(date +%s.%N)
    for ((i = 0; i < CLIENTS; i++)); do
        local s=${p[i]} now
        now=$(date +%s.%N)
        sleep "$($PY -c "print(max(0.0, $t0 + $s - $now))")"
        start_client "$lib" "$ka" "pt-$name-$((i + 1))" "$CAP/$name.c$((i + 1)).log"
        clients+=("$BGPID")
    done
    # every client connected (mosquitto's log: Node and Go start slowly on a loaded machine),
    # then the seeded delay, so that each one has pinged at least once before the freeze
    for ((i = 0; i < 300; i++)); do
        (($(grep -c "New client connected .* as pt-$name-" "$CAP/$name.mosquitto.log" 2>/dev/null || true) >= CLIENTS)) && break
        sleep 0.1
    done
    ((i < 300)) || log "$name: not every client connected within 30 s"
    sleep "$freeze_after"
    local ports
    ports=$(established_client_ports | tr '\n' ' ')
    kill -STOP "$MOSQ_PID"
    date +%s.%N >"$CAP/$name.frozen"
    cut -d' ' -f1-3 /proc/loadavg >"$CAP/$name.loadavg"   # the measured lateness depends on it
    echo "$ports" >"$CAP/$name.ports"
    # the slowest give-up in the sources: paho.mqtt.golang, PingTimeout 10 s checked every KA/2
    # (at most 5 s) after a PINGREQ sent up to KA + KA/2 after the freeze; paho C, 1.5 KA after a
    # PINGREQ sent up to 1.1 KA after it. Wait for what the sources say plus a margin, no longer.
    local cap_s=$((3 * ka + 22)) waited=0 left
    while ((waited < cap_s * 5)); do
        left=$(comm -12 <(established_client_ports) <(tr ' ' '\n' <<<"$ports" | grep . | sort) | wc -l)
        ((left == 0)) && break
        sleep 0.2; waited=$((waited + 1))
    done
    ((left == 0)) || log "$name: $left connection(s) still open after ${cap_s} s"
    sleep 0.5
    kill -INT "$tcpdump_pid" 2>/dev/null || true
    wait "$tcpdump_pid" 2>/dev/null || true
    kill -CONT "$MOSQ_PID"
    stop_pids "${clients[@]}" "$MOSQ_PID"
    MOSQ_PID=
    PIDS=()
    log "$name: $(wc -w <<<"$ports") connections at the freeze, capture $(stat -c %s "$CAP/$name.pcap") bytes"
}

install_deps
ns_setup
for lib in "${WANT[@]}"; do
    kas=$KAS
    [[ $lib == libmosquitto ]] && kas=$KAS_LIBMOSQUITTO
    for ka in $kas; do
        for ((r = 1; r <= ROUNDS; r++)); do run_group "$lib" "$ka" "$r"; done
    done
done
log "done; now: $HERE/analyse.py"
