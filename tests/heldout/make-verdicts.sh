#!/usr/bin/env bash
# Held-out real-traffic captures for issues 13 (captures joined late, lossy, one-sided) and 18
# (verdict precision), with their ground truth (.facts). See tests/heldout/README.md.
#
#   sudo tests/heldout/make-verdicts.sh                 # everything, seeds 1 2 3 (~20 minutes)
#   sudo tests/heldout/make-verdicts.sh exit-paho-ws-ka3 stall-mqttjs-ws ...   # these scenarios
#   SEEDS="4 5" sudo tests/heldout/make-verdicts.sh     # other seeds
#   sudo tests/heldout/make-verdicts.sh --derive-only   # only the derived captures (issue 13)
#   tests/heldout/make-verdicts.sh --list
#
# Debian 12, as root. Installs what it needs (apt: mosquitto, python3-paho-mqtt, tcpdump, tshark,
# nodejs, npm, iproute2, ethtool, socat, openssl, nghttp2-client, nghttp2-server; npm: mqtt@5,
# ws@8 into tests/heldout/.work/, git-ignored), then runs every scenario inside a private network
# namespace ($NS) whose loopback has MTU 1500 and no segmentation offload, as samples/capture.sh
# does. All traffic stays on that namespace's loopback. The namespace is removed on exit.
#
# Truth is written from the scenario's design and from the clients' and the broker's own logs
# (paho's on_log, MQTT.js packetsend/packetreceive, mosquitto's log), never from mqttka. tshark is
# used to check the design on the wire (and, for derived captures, tools/derive.py computes what
# remains from tshark's decode of the whole capture).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$HERE/.work
TOOLS=$HERE/tools
NS=mqttka-heldout-1318       # our own namespace: another engineer may run samples/capture.sh
PY=/usr/bin/python3          # Debian's python, which sees python3-paho-mqtt
MAX_PCAP=150000
SEEDS=${SEEDS:-1 2 3}

ALL=(exit-paho-ws-ka3 exit-paho-ws-ka10 exit-mqttjs-ws-ka3 exit-mqttjs-ws-ka10
     stall-paho-ws stall-mqttjs-ws frozen-broker frozen-client seed-shape pingdisc
     nonmqtt-tls nonmqtt-random nonmqtt-h2c nonmqtt-ws)

log() { printf '[heldout %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
[[ $EUID -eq 0 ]] || die "run as root (sudo $0)"

DERIVE_ONLY=0
WANT=()
for a in "$@"; do
    if [[ $a == --derive-only ]]; then DERIVE_ONLY=1; continue; fi
    [[ " ${ALL[*]} " == *" $a "* ]] || die "unknown scenario '$a' (try --list)"
    WANT+=("$a")
done
[[ ${#WANT[@]} -gt 0 ]] || WANT=("${ALL[@]}")

# ---------------------------------------------------------------- dependencies
install_deps() {
    export PATH=$PATH:/usr/sbin:/sbin
    local missing=()
    command -v mosquitto >/dev/null || missing+=(mosquitto)
    $PY -c 'import paho.mqtt.client' 2>/dev/null || missing+=(python3-paho-mqtt)
    command -v tcpdump >/dev/null || missing+=(tcpdump)
    command -v tshark >/dev/null || missing+=(tshark)
    command -v editcap >/dev/null || missing+=(tshark)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v ethtool >/dev/null || missing+=(ethtool)
    command -v socat >/dev/null || missing+=(socat)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v nghttp >/dev/null || missing+=(nghttp2-client)
    command -v nghttpd >/dev/null || missing+=(nghttp2-server)
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    mkdir -p "$WORK"
    [[ -f $WORK/package.json ]] || echo '{ "name": "mqttka-heldout-work", "private": true, "version": "0.0.0" }' >"$WORK/package.json"
    if [[ ! -d $WORK/node_modules/mqtt || ! -d $WORK/node_modules/ws ]]; then
        log "npm install mqtt@5 ws@8 into $WORK"
        (cd "$WORK" && npm install --no-audit --no-fund --silent mqtt@5 ws@8)
    fi
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
    ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "warning: ethtool -K lo failed"
}

start_bg() { # LOGFILE CMD... -> $BGPID
    local logf=$1; shift
    ip netns exec "$NS" "$@" >"$logf" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

wait_listen() { # PORT
    local i
    for ((i = 0; i < 80; i++)); do
        ip netns exec "$NS" ss -ltnH "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing listening on port $1"
}

wait_exit() { # PID TIMEOUT_S -> 0 if exited
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    return 1
}

wait_all() { # TIMEOUT_S PID... -> 0 if all exited
    local t=$1 p; shift
    for p in "$@"; do wait_exit "$p" "$t" || return 1; done
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

start_mosq() { # NAME -> $MOSQ_PID, $MOSQ_LOG
    local conf=$WORK/$1.mosquitto.conf
    MOSQ_LOG=$WORK/$1.mosquitto.log
    cat >"$conf" <<EOF
# generated by tests/heldout/make-verdicts.sh
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $MOSQ_LOG
log_type all
log_timestamp true
log_timestamp_format %s
connection_messages true
listener 1883
listener 1882
protocol websockets
EOF
    rm -f "$MOSQ_LOG"
    start_bg "$WORK/$1.mosquitto.out" mosquitto -c "$conf"
    MOSQ_PID=$BGPID
    wait_listen 1883
    wait_listen 1882
}

CAP_FILTER_DEFAULT="tcp port 1882 or tcp port 1883"
start_capture() { # NAME [FILTER]
    CAP_FILE=$HERE/$1.pcap
    rm -f "$CAP_FILE" "$HERE/$1.facts"
    # shellcheck disable=SC2086
    start_bg "$WORK/$1.tcpdump.log" tcpdump -i lo -n -s 0 -U -w "$CAP_FILE" ${2:-$CAP_FILTER_DEFAULT}
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

py_client() { # LOGFILE ARGS... (background; $BGPID)
    local logf=$1; shift
    rm -f "$logf" "$logf".*     # a controller waiting on the log must not read an old run's
    start_bg "$logf.stderr" $PY "$TOOLS/paho_client.py" --log "$logf" "$@"
}
js_client() { # LOGFILE JSON (background; $BGPID)
    local logf=$1 json=$2
    rm -f "$logf" "$logf".*
    json=${json%\}}", \"log\": \"$logf\"}"
    start_bg "$logf.stderr" env NODE_PATH="$WORK/node_modules" node "$TOOLS/mqttjs_client.js" "$json"
}

# seeded plans: plan SEED EXPR -> one value per line (python's random, stable across runs)
plan() { $PY -c "import random; r = random.Random('$1'); $2"; }

# ---------------------------------------------------------------- facts
n_py_pingreq() { grep -c "PAHO Sending PINGREQ" "$1" || true; }
n_py_pingresp() { grep -c "PAHO Received PINGRESP" "$1" || true; }
n_js_pingreq() { grep -c " SEND pingreq$" "$1" || true; }
n_js_pingresp() { grep -c " RECV pingresp$" "$1" || true; }
local_port() { sed -n 's/.*LOCAL_PORT \([0-9]*\).*/\1/p' "$1" | head -1; }
local_addr() { sed -n 's/.*LOCAL_ADDR \([^ ]*\) .*/\1/p' "$1" | head -1; }
# (greps that may find nothing must not end the script under set -e / pipefail)
ts_of() { { grep -m1 -E "$2" "$1" || true; } | cut -d' ' -f1; }          # first epoch timestamp of a log line
ts_last() { { grep -E "$2" "$1" || true; } | tail -1 | cut -d' ' -f1; }  # last one
line_of() { { grep -m1 -E "$2" "$1" || true; } | cut -d' ' -f2-; }       # first such line, without its timestamp
dur() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }' || echo; }
mosq_pingresp() { grep -c "Sending PINGRESP to $2\$" "$1" || true; }   # MOSQ_LOG CLIENT_ID

FACTS=
facts_begin() { # NAME CLASS SEED comment lines...
    FACTS=$HERE/$1.facts
    local cls=$2 seed=$3; shift 3
    {
        echo "# $1.pcap: written by tests/heldout/make-verdicts.sh from the scenario design and the clients' and broker's own logs"
        echo "# generated $(date -u +%Y-%m-%dT%H:%M:%SZ); mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1), paho-python $($PY -c 'import paho.mqtt;print(paho.mqtt.__version__)'), MQTT.js $(node -p "require('$WORK/node_modules/mqtt/package.json').version")"
        for l in "$@"; do echo "# $l"; done
        echo "class=$cls"
        echo "seed=$seed"
    } >"$FACTS"
}
fact() { printf '%s=%s\n' "$1" "$2" >>"$FACTS"; }

# conn_common N LOG LIB TRANSPORT SERVER_PORT VERSION KA CLIENT_ID
conn_common() {
    local n=$1 L=$2 lib=$3
    fact conn$n.client "$lib"; fact conn$n.transport "$4"; fact conn$n.server_port "$5"
    fact conn$n.mqtt_version "$6"; fact conn$n.keepalive "$7"; fact conn$n.client_id "$8"
    fact conn$n.client_addr "$(local_addr "$L")"; fact conn$n.client_port "$(local_port "$L")"
    if [[ $lib == paho-python ]]; then
        fact conn$n.client_pingreq_sent "$(n_py_pingreq "$L")"; fact conn$n.client_pingresp_received "$(n_py_pingresp "$L")"
    else
        fact conn$n.client_pingreq_sent "$(n_js_pingreq "$L")"; fact conn$n.client_pingresp_received "$(n_js_pingresp "$L")"
    fi
    [[ -z ${MOSQ_LOG:-} ]] || fact conn$n.broker_pingresp_sent "$(mosq_pingresp "$MOSQ_LOG" "$8")"
}

# wire_check NAME: the design on the wire, from tshark (tools/wire.py); prints one line per connection:
# client_port first_close_side first_close_flag pingreq pingresp unanswered pingresp_after_client_disconnect
wire_check() {
    $PY - "$CAP_FILE" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["TOOLS"])
import wire
_, streams = wire.decode(sys.argv[1])
for st in streams.values():
    req, resp, un = wire.ping_pairs(st)
    c = st.closes[0] if st.closes else (None, None, "none", "none")
    disc = [p for p in st.packets if p[2] == "c2s" and p[3] == 14]
    after = "yes" if disc and any(p[2] == "s2c" and p[3] == 13 and p[0] > disc[0][0] for p in st.packets) else "no"
    print(st.client[1], c[2], c[3], req, resp, un, after)
EOF
}
export TOOLS

# ---------------------------------------------------------------- scenarios
# a. random exits: 16 clients over WebSocket, each process exits at a seeded random moment
scn_exit() { # LIB(paho|mqttjs) KA SEED
    local lib=$1 ka=$2 seed=$3 n="exit-$1-ws-ka$2-s$3" W i pids=() durs maxd
    W=$WORK/$n
    durs=($(plan "$n" "print('\n'.join('%.2f' % r.uniform(0.5, max(15, 3.5 * $ka)) for _ in range(16)))"))
    start_mosq "$n"
    start_capture "$n"
    for ((i = 0; i < 16; i++)); do
        if [[ $lib == paho ]]; then
            py_client "$W.c$((i + 1)).log" --port 1882 --ka "$ka" --client-id "hx-$n-$((i + 1))" --duration "${durs[i]}" --end exit
        else
            js_client "$W.c$((i + 1)).log" "{\"url\": \"ws://127.0.0.1:1882/mqtt\", \"protocolVersion\": 4, \"keepalive\": $ka,
                \"clientId\": \"hx-$n-$((i + 1))\", \"duration\": ${durs[i]}, \"end\": \"exit\"}"
        fi
        pids+=("$BGPID")
        sleep 0.15
    done
    maxd=$(printf '%s\n' "${durs[@]}" | sort -n | tail -1)
    wait_all $((${maxd%.*} + 30)) "${pids[@]}" || die "$n: a client did not exit"
    stop_capture
    stop_pid "$MOSQ_PID"
    local wc; wc=$(wire_check)
    facts_begin "$n" "exit-$lib-ka$ka" "$seed" \
        "16 $([[ $lib == paho ]] && echo paho-python || echo MQTT.js) clients over WebSocket to mosquitto, keepalive $ka, started 0.15 s apart;" \
        "each process exits (no DISCONNECT, no WebSocket Close: the kernel closes the socket) at a seeded random moment" \
        "exit_after_connack_s, last_pingreq_to_close_s come from each client's own log (its END exit line)"
    fact connections 16
    fact expected_verdict client_closed; fact true_cause process_exit; fact verdicts_consistent client_closed
    for ((i = 1; i <= 16; i++)); do
        local L=$W.c$i.log lp t_conn t_exit t_ping how
        if [[ $lib == paho ]]; then
            conn_common $i "$L" paho-python websocket 1882 3.1.1 "$ka" "hx-$n-$i"
            t_conn=$(ts_of "$L" "CONNACK"); t_ping=$(ts_last "$L" "PAHO Sending PINGREQ")
        else
            conn_common $i "$L" mqtt.js websocket 1882 3.1.1 "$ka" "hx-$n-$i"
            t_conn=$(ts_of "$L" "RECV connack"); t_ping=$(ts_last "$L" " SEND pingreq$")
        fi
        t_exit=$(ts_of "$L" "END exit")
        if [[ -z $t_exit ]]; then   # e.g. MQTT.js "connack timeout" on a loaded machine: not this scenario
            log "warning: $n: client $i has no END exit line: excluded"
            fact conn$i.exclude "the client did not run the scenario: $(line_of "$L" "ERROR|ON_DISCONNECT")"
            continue
        fi
        fact conn$i.planned_exit_after_connack_s "${durs[i - 1]}"
        fact conn$i.exit_after_connack_s "$(dur "$t_conn" "$t_exit")"
        fact conn$i.last_pingreq_to_close_s "$(dur "$t_ping" "$t_exit")"
        fact conn$i.closed_by client
        lp=$(local_port "$L")
        how=$(awk -v p="$lp" '$1 == p { print $2 "-" $3 }' <<<"$wc")
        if [[ $how == client-rst ]]; then
            # the kernel resets instead of FIN when unread data is in the socket at exit
            fact conn$i.close_how rst; fact conn$i.expected_verdict reset; fact conn$i.verdicts_consistent reset
            fact conn$i.note "the kernel sent RST (unread data in the socket when the process exited): tshark"
        else
            [[ $how == client-fin ]] || log "warning: $n conn$i: first close on the wire is '$how'"
            fact conn$i.close_how fin
        fi
    done
}

# b. stalls: the client process stops itself while its PINGRESP is in flight, SIGCONT later
scn_stall() { # LIB(paho|mqttjs) SEED
    local lib=$1 seed=$2 n="stall-$1-ws-s$2" W i pids=() kas stalls
    W=$WORK/$n
    # paho times out KA after its PINGREQ (checked when it resumes): stall 1.1..1.4 KA.
    # MQTT.js 5 times out KA/2 after its PINGREQ (KeepaliveManager): stall 0.6..1.4 KA.
    # Both below mosquitto's 1.5 KA, so that the client closes first.
    kas=($(plan "$n" "print('\n'.join(str(r.choice([2, 3, 4, 5])) for _ in range(8)))"))
    stalls=($(plan "$n-d" "print('\n'.join('%.3f' % r.uniform($([[ $lib == paho ]] && echo 1.1 || echo 0.6), 1.3) for _ in range(8)))"))
    start_mosq "$n"
    start_capture "$n"
    for ((i = 0; i < 8; i++)); do
        local L=$W.c$((i + 1)).log d
        d=$(awk -v k="${kas[i]}" -v f="${stalls[i]}" 'BEGIN { printf "%.3f", k * f }')
        if [[ $lib == paho ]]; then
            py_client "$L" --port 1882 --ka "${kas[i]}" --client-id "hx-$n-$((i + 1))" --duration -1 --end stall --stall-after $((i % 2 + 1))
        else
            js_client "$L" "{\"url\": \"ws://127.0.0.1:1882/mqtt\", \"protocolVersion\": 4, \"keepalive\": ${kas[i]},
                \"clientId\": \"hx-$n-$((i + 1))\", \"duration\": -1, \"end\": \"stall\", \"stallAfter\": $((i % 2 + 1))}"
        fi
        pids+=("$BGPID")
        STOPPED+=("$BGPID")
        # the controller: when the client has stopped itself, wait D, then SIGCONT
        ( for ((k = 0; k < 3000; k++)); do grep -q SELF_STOP "$L" 2>/dev/null && break; sleep 0.05; done
          sleep "$d"; date +%s.%N >"$L.cont"; kill -CONT "$(sed -n 's/.*START pid=\([0-9]*\).*/\1/p' "$L")" ) &
        PIDS+=("$!")
        sleep 0.3
    done
    wait_all 90 "${pids[@]}" || die "$n: a stalled client did not end"
    stop_capture
    stop_pid "$MOSQ_PID"
    local wc; wc=$(wire_check)
    facts_begin "$n" "stall-$lib" "$seed" \
        "8 $([[ $lib == paho ]] && echo paho-python || echo MQTT.js) clients over WebSocket to mosquitto; each stops itself (SIGSTOP) right after" \
        "writing a PINGREQ, before reading the PINGRESP (which mosquitto sends at once: its log); SIGCONT after stall_s;" \
        "on resume the client's keepalive check fires before it reads the socket and it closes (FIN, no DISCONNECT):" \
        "$([[ $lib == paho ]] && echo 'paho ON_DISCONNECT rc=16 (its loop_misc runs first on resume: an application event loop with a timer)' || echo 'MQTT.js ERROR Keepalive timeout (its KeepaliveManager timer runs before the next socket read)')" \
        "the capture cannot tell this from a process exit; the truth is the client's log"
    fact connections 8
    fact true_cause ping_timeout_after_stall
    fact expected_verdict client_closed
    fact verdicts_consistent client_closed,client_closed_despite_pingresp
    for ((i = 1; i <= 8; i++)); do
        local L=$W.c$i.log lp t_stop t_res t_ping t_close cause how
        if [[ $lib == paho ]]; then
            conn_common $i "$L" paho-python websocket 1882 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
            t_ping=$({ grep -B3 SELF_STOP "$L" || true; } | { grep "PAHO Sending PINGREQ" || true; } | tail -1 | cut -d' ' -f1)
            t_close=$(ts_of "$L" "ON_DISCONNECT"); cause=$(line_of "$L" ON_DISCONNECT)
        else
            conn_common $i "$L" mqtt.js websocket 1882 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
            t_ping=$({ grep -B3 SELF_STOP "$L" || true; } | { grep " SEND pingreq$" || true; } | tail -1 | cut -d' ' -f1)
            t_close=$(ts_of "$L" "ERROR|CLOSE"); cause=$(line_of "$L" "ERROR|CLOSE")
        fi
        t_stop=$(ts_of "$L" SELF_STOP); t_res=$(ts_of "$L" RESUMED)
        [[ -n $t_stop && -n $t_res ]] || die "$n: client $i never stalled"
        fact conn$i.stall_after_pingreq "$(sed -n 's/.*SELF_STOP after PINGREQ \([0-9]*\).*/\1/p' "$L")"
        fact conn$i.stall_s "$(dur "$t_stop" "$t_res")"
        fact conn$i.pingreq_to_close_s "$(dur "$t_ping" "$t_close")"
        fact conn$i.client_log_close "$cause"
        lp=$(local_port "$L")
        local side flag nresp
        read -r side flag nresp < <(awk -v p="$lp" '$1 == p { print $2, $3, $5 }' <<<"$wc") || true
        fact conn$i.pingresp_on_wire "$nresp"
        if [[ $side == server ]]; then
            # the stall outlasted mosquitto's 1.5 x KA (a loaded machine sleeps longer than asked):
            # mosquitto closed first, the client's timeout fired after it resumed
            log "$n conn$i: mosquitto closed first (stall $(dur "$t_stop" "$t_res") s)"
            fact conn$i.closed_by server; fact conn$i.close_how "$flag"
            fact conn$i.true_cause broker_keepalive_client_stalled
            fact conn$i.expected_verdict server_closed_keepalive; fact conn$i.verdicts_consistent server_closed_keepalive
            fact conn$i.note "the stall outlasted 1.5 x KA: mosquitto closed first (tshark: first FIN from the server)"
            continue
        fi
        fact conn$i.closed_by client; fact conn$i.close_how "$flag"
        if [[ $flag == rst ]]; then
            # the client closed with the PINGRESP unread in its socket: the kernel sends RST, not FIN
            fact conn$i.expected_verdict reset; fact conn$i.verdicts_consistent reset,client_closed_despite_pingresp
        fi
        if [[ $cause != *"rc=16"* && $cause != *"Keepalive timeout"* ]]; then
            fact conn$i.true_cause other; fact conn$i.verdicts_consistent "$([[ $flag == rst ]] && echo reset || echo client_closed)"
            log "warning: $n conn$i: the client log does not show a ping timeout ($cause)"
        fi
    done
}

# broker frozen: 6 paho + 2 MQTT.js clients; mosquitto SIGSTOPped; every client times out
scn_frozen_broker() { # SEED
    local seed=$1 n="frozen-broker-s$1" W i pids=() kas t_freeze
    W=$WORK/$n
    kas=($(plan "$n" "print('\n'.join(str(r.choice([2, 3, 4, 5])) for _ in range(8)))"))
    t_freeze=$(plan "$n-t" "print('%.2f' % r.uniform(6, 9))")
    start_mosq "$n"
    start_capture "$n"
    for ((i = 0; i < 8; i++)); do
        if ((i < 6)); then
            py_client "$W.c$((i + 1)).log" --port 1882 --ka "${kas[i]}" --client-id "hx-$n-$((i + 1))" --duration -1 --end hold
        else
            js_client "$W.c$((i + 1)).log" "{\"url\": \"ws://127.0.0.1:1882/mqtt\", \"protocolVersion\": 4, \"keepalive\": ${kas[i]},
                \"clientId\": \"hx-$n-$((i + 1))\", \"duration\": -1, \"end\": \"hold\"}"
        fi
        pids+=("$BGPID")
        sleep 0.2
    done
    local k
    for ((k = 0; k < 600; k++)); do   # every client connected (start-up takes seconds on a loaded machine)
        [[ $(grep -lE "CONNACK rc|CONNECTED" "$W".c*.log | wc -l) -ge 8 ]] && break
        sleep 0.1
    done
    sleep "$t_freeze"
    kill -STOP "$MOSQ_PID"; STOPPED+=("$MOSQ_PID")
    local t_stop; t_stop=$(date +%s.%N)
    wait_all 40 "${pids[@]}" || die "$n: a client did not give up"
    stop_capture
    kill -CONT "$MOSQ_PID"
    stop_pid "$MOSQ_PID"
    local wc; wc=$(wire_check)
    facts_begin "$n" frozen-broker "$seed" \
        "6 paho-python and 2 MQTT.js clients over WebSocket to one mosquitto; mosquitto SIGSTOPped ${t_freeze} s after the last client's CONNACK," \
        "resumed only after the capture stopped. Each client's next PINGREQ goes unanswered and the client gives up:" \
        "paho KA after it (rc 16), MQTT.js 5 KA/2 after it (Keepalive timeout); the kernel closes with FIN (no DISCONNECT)"
    fact connections 8
    fact true_cause ping_timeout_broker_frozen
    fact expected_verdict client_closed_missing_pingresp
    fact verdicts_consistent client_closed_missing_pingresp
    for ((i = 1; i <= 8; i++)); do
        local L=$W.c$i.log t_ping t_close lp how
        if ((i <= 6)); then
            conn_common $i "$L" paho-python websocket 1882 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
            t_ping=$(ts_last "$L" "PAHO Sending PINGREQ"); t_close=$(ts_of "$L" "ON_DISCONNECT")
            fact conn$i.client_log_close "$(line_of "$L" ON_DISCONNECT)"
        else
            conn_common $i "$L" mqtt.js websocket 1882 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
            t_ping=$(ts_last "$L" " SEND pingreq$"); t_close=$(ts_of "$L" "ERROR|CLOSE")
            fact conn$i.client_log_close "$(line_of "$L" "ERROR|CLOSE")"
        fi
        fact conn$i.broker_frozen_at_s_after_connack "$(dur "$(ts_of "$L" "CONNACK|RECV connack")" "$t_stop")"
        fact conn$i.last_pingreq_to_close_s "$(dur "$t_ping" "$t_close")"
        fact conn$i.closed_by client
        lp=$(local_port "$L")
        how=$(awk -v p="$lp" '$1 == p { print $2 "-" $3 }' <<<"$wc")
        [[ $how == client-fin ]] || log "warning: $n conn$i: first close on the wire is '$how'"
        fact conn$i.close_how "${how#*-}"
    done
}

# client frozen: 6 paho + 2 MQTT.js clients SIGSTOPped at seeded moments; mosquitto drops each
scn_frozen_client() { # SEED
    local seed=$1 n="frozen-client-s$1" W i pids=() kas tstops
    W=$WORK/$n
    kas=($(plan "$n" "print('\n'.join(str(r.choice([2, 3, 4])) for _ in range(8)))"))
    tstops=($(plan "$n-t" "print('\n'.join('%.2f' % r.uniform(5, 10) for _ in range(8)))"))
    start_mosq "$n"
    start_capture "$n"
    for ((i = 0; i < 8; i++)); do
        local L=$W.c$((i + 1)).log
        if ((i < 6)); then
            py_client "$L" --port 1882 --ka "${kas[i]}" --client-id "hx-$n-$((i + 1))" --duration -1 --end hold
        else
            js_client "$L" "{\"url\": \"ws://127.0.0.1:1882/mqtt\", \"protocolVersion\": 4, \"keepalive\": ${kas[i]},
                \"clientId\": \"hx-$n-$((i + 1))\", \"duration\": -1, \"end\": \"hold\"}"
        fi
        pids+=("$BGPID"); STOPPED+=("$BGPID")
        # frozen a seeded time after its CONNACK (start-up takes seconds on a loaded machine)
        ( for ((k = 0; k < 600; k++)); do grep -qE "CONNACK|CONNECTED" "$L" 2>/dev/null && break; sleep 0.1; done
          sleep "${tstops[i]}"; kill -STOP "$BGPID"; date +%s.%N >"$L.stopped" ) &
        PIDS+=("$!")
        sleep 0.2
    done
    # over websockets mosquitto 2.0.11 logs "Client X closed its connection." when it drops a
    # client for keepalive (samples/README.md)
    local k all
    for ((k = 0; k < 400; k++)); do
        all=1
        for ((i = 1; i <= 8; i++)); do
            grep -qE "hx-$n-$i (has exceeded timeout|closed its connection)" "$MOSQ_LOG" || { all=0; break; }
        done
        ((all)) && break
        sleep 0.1
    done
    ((all)) || die "$n: mosquitto did not drop every frozen client"
    sleep 1
    stop_capture
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
    stop_pid "$MOSQ_PID"
    local wc; wc=$(wire_check)
    facts_begin "$n" frozen-client "$seed" \
        "6 paho-python and 2 MQTT.js clients over WebSocket to one mosquitto; each client process SIGSTOPped at a seeded moment" \
        "(client_frozen_after_s, counted from its CONNACK); mosquitto drops it for keepalive with a bare FIN (its log: 'Client X closed its connection.');" \
        "clients SIGKILLed after the capture stopped. broker_drop_after_last_client_packet_s: mosquitto's log has 1 s resolution"
    fact connections 8
    fact true_cause broker_keepalive_client_frozen
    fact expected_verdict server_closed_keepalive
    fact verdicts_consistent server_closed_keepalive
    for ((i = 1; i <= 8; i++)); do
        local L=$W.c$i.log t_last lp how
        if ((i <= 6)); then
            conn_common $i "$L" paho-python websocket 1882 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
            t_last=$(ts_last "$L" "PAHO (Sending|Received)")
        else
            conn_common $i "$L" mqtt.js websocket 1882 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
            t_last=$(ts_last "$L" " (SEND|RECV) ")
        fi
        fact conn$i.client_frozen_after_s "$(dur "$(ts_of "$L" "CONNACK|RECV connack")" "$(cat "$L.stopped")")"
        fact conn$i.broker_log_drop "$(line_of "$MOSQ_LOG" "hx-$n-$i (has exceeded timeout|closed its connection)")"
        fact conn$i.broker_drop_after_last_client_packet_s "$(dur "$t_last" "$(ts_of "$MOSQ_LOG" "hx-$n-$i (has exceeded timeout|closed its connection)" | tr -d :)")"
        fact conn$i.closed_by server
        lp=$(local_port "$L")
        how=$(awk -v p="$lp" '$1 == p { print $2 "-" $3 }' <<<"$wc")
        [[ $how == server-fin ]] || log "warning: $n conn$i: first close on the wire is '$how'"
        fact conn$i.close_how "${how#*-}"
    done
}

# c. the seed's shape: keepalive 5, healthy pings, then DISCONNECT; paho and MQTT.js, WebSocket and TCP
scn_seed_shape() { # SEED
    local seed=$1 n="seed-shape-s$1" W i pids=() durs
    W=$WORK/$n
    durs=($(plan "$n" "print('\n'.join('%.1f' % r.uniform(11, 17) for _ in range(8)))"))
    start_mosq "$n"
    start_capture "$n"
    # conn: lib transport port version client_id
    local specs=("paho websocket 1882 3.1.1 '' " "paho websocket 1882 3.1.1 hx-$n-2" "paho websocket 1882 3.1.1 hx-$n-3"
                 "mqttjs websocket 1882 3.1.1 hx-$n-4" "mqttjs websocket 1882 5.0 hx-$n-5"
                 "paho tcp 1883 3.1.1 hx-$n-6" "paho tcp 1883 3.1.1 hx-$n-7" "mqttjs tcp 1883 3.1.1 hx-$n-8")
    for ((i = 0; i < 8; i++)); do
        local s=(${specs[i]}) cid L=$W.c$((i + 1)).log
        cid=${s[4]}; [[ $cid == "''" ]] && cid=
        if [[ ${s[0]} == paho ]]; then
            py_client "$L" --transport "$([[ ${s[1]} == tcp ]] && echo tcp || echo websockets)" --port "${s[2]}" --ka 5 \
                --client-id "$cid" --duration "${durs[i]}" --end disconnect
        else
            js_client "$L" "{\"url\": \"$([[ ${s[1]} == tcp ]] && echo mqtt://127.0.0.1:1883 || echo ws://127.0.0.1:1882/mqtt)\",
                \"protocolVersion\": $([[ ${s[3]} == 5.0 ]] && echo 5 || echo 4), \"keepalive\": 5, \"clientId\": \"$cid\",
                \"duration\": ${durs[i]}, \"end\": \"disconnect\"}"
        fi
        pids+=("$BGPID")
        sleep 0.3
    done
    wait_all 60 "${pids[@]}" || die "$n: a client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    facts_begin "$n" seed-shape "$seed" \
        "the seed's shape: keepalive 5, healthy PINGREQ/PINGRESP pairs, then DISCONNECT after a seeded 11..17 s;" \
        "conn1 sends the seed's exact CONNECT (paho, client id empty); paho and MQTT.js over WebSocket 1882 and plain TCP 1883"
    fact connections 8
    fact true_cause disconnect; fact expected_verdict mqtt_disconnect; fact verdicts_consistent mqtt_disconnect
    for ((i = 1; i <= 8; i++)); do
        local s=(${specs[i - 1]}) cid L=$W.c$i.log
        cid=${s[4]}; [[ $cid == "''" ]] && cid=
        conn_common $i "$L" "$([[ ${s[0]} == paho ]] && echo paho-python || echo mqtt.js)" "${s[1]}" "${s[2]}" "${s[3]}" 5 "$cid"
        [[ -n $cid ]] || sed -i '$ d' "$FACTS"   # mosquitto names an empty-id client by a generated id
        fact conn$i.closed_by client; fact conn$i.close_how disconnect
    done
}

# e. PINGREQ and DISCONNECT back to back; does the broker still answer the PINGREQ?
scn_pingdisc() { # SEED
    local seed=$1 n="pingdisc-s$1" W i pids=() kas
    W=$WORK/$n
    kas=($(plan "$n" "print('\n'.join(str(r.choice([2, 3])) for _ in range(8)))"))
    start_mosq "$n"
    start_capture "$n"
    local specs=("paho websocket 1882" "paho websocket 1882" "paho tcp 1883" "paho tcp 1883"
                 "mqttjs websocket 1882" "mqttjs websocket 1882" "mqttjs tcp 1883" "mqttjs tcp 1883")
    for ((i = 0; i < 8; i++)); do
        local s=(${specs[i]}) L=$W.c$((i + 1)).log
        if [[ ${s[0]} == paho ]]; then
            py_client "$L" --transport "$([[ ${s[1]} == tcp ]] && echo tcp || echo websockets)" --port "${s[2]}" --ka "${kas[i]}" \
                --client-id "hx-$n-$((i + 1))" --duration -1 --end pingdisc --pingdisc-after $((i % 2 + 1))
        else
            js_client "$L" "{\"url\": \"$([[ ${s[1]} == tcp ]] && echo mqtt://127.0.0.1:1883 || echo ws://127.0.0.1:1882/mqtt)\",
                \"protocolVersion\": 4, \"keepalive\": ${kas[i]}, \"clientId\": \"hx-$n-$((i + 1))\", \"duration\": -1,
                \"end\": \"pingdisc\", \"pingdiscAfter\": $((i % 2 + 1))}"
        fi
        pids+=("$BGPID")
        sleep 0.2
    done
    wait_all 40 "${pids[@]}" || die "$n: a client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    local wc; wc=$(wire_check)
    facts_begin "$n" pingdisc "$seed" \
        "each client sends DISCONNECT right behind a PINGREQ (paho: disconnect() in the same loop pass; MQTT.js: end() queued on" \
        "the PINGREQ's packetsend). pingresp_after_disconnect: whether mosquitto's PINGRESP is on the wire after the client's" \
        "DISCONNECT (tshark, a check of the design); broker_pingresp_sent: mosquitto's log"
    fact connections 8
    fact true_cause disconnect; fact expected_verdict mqtt_disconnect; fact verdicts_consistent mqtt_disconnect
    for ((i = 1; i <= 8; i++)); do
        local s=(${specs[i - 1]}) L=$W.c$i.log lp w
        conn_common $i "$L" "$([[ ${s[0]} == paho ]] && echo paho-python || echo mqtt.js)" "${s[1]}" "${s[2]}" 3.1.1 "${kas[i - 1]}" "hx-$n-$i"
        lp=$(local_port "$L")
        w=($(awk -v p="$lp" '$1 == p' <<<"$wc"))
        fact conn$i.closed_by client; fact conn$i.close_how disconnect
        fact conn$i.pingresp_after_disconnect "${w[6]:-unknown}"
        fact conn$i.pingreq_unanswered_on_wire "${w[5]:-unknown}"
    done
}

# f. not MQTT: binary protocols on the MQTT ports and others
scn_nonmqtt_tls() { # SEED
    local seed=$1 n="nonmqtt-tls-s$1" W
    W=$WORK/$n
    [[ -f $WORK/tls.key ]] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.crt" \
        -days 3650 -subj /CN=localhost >/dev/null 2>&1
    start_capture "$n" "tcp port 8883 or tcp port 1883 or tcp port 1882"
    rm -f "$W.log"
    start_bg "$W.1.out" $PY "$TOOLS/nonmqtt.py" tls 8883 "$WORK/tls.crt" "$WORK/tls.key" "$seed" "$W.log"
    wait_exit "$BGPID" 60 || die "$n: tls 1"
    start_bg "$W.2.out" $PY "$TOOLS/nonmqtt.py" tls 1883 "$WORK/tls.crt" "$WORK/tls.key" "$((seed + 100))" "$W.log"
    wait_exit "$BGPID" 60 || die "$n: tls 2"
    start_bg "$W.3.out" $PY "$TOOLS/nonmqtt.py" tls 1882 "$WORK/tls.crt" "$WORK/tls.key" "$((seed + 200))" "$W.log"
    wait_exit "$BGPID" 60 || die "$n: tls 3"
    stop_capture
    facts_begin "$n" nonmqtt-tls "$seed" "not MQTT: TLS 1.3 (python ssl) on ports 8883, 1883 and 1882, seeded random binary messages echoed," \
        "then a steady cadence of 2-byte messages; the tools should report no MQTT connection"
    fact transport tls; fact connections 3; fact mqtt no; fact expected_verdict none
    local i=1 p; for p in $(sed -n 's/.*LOCAL_PORT \([0-9]*\).*/\1/p' "$W.log"); do fact conn$i.client_port "$p"; i=$((i + 1)); done
}

scn_nonmqtt_random() { # SEED
    local seed=$1 n="nonmqtt-random-s$1" W s1 s2
    W=$WORK/$n
    start_bg "$W.socat1.log" socat TCP-LISTEN:1883,bind=127.0.0.1,reuseaddr,fork PIPE
    s1=$BGPID
    start_bg "$W.socat2.log" socat TCP-LISTEN:2222,bind=127.0.0.1,reuseaddr,fork PIPE
    s2=$BGPID
    wait_listen 1883; wait_listen 2222
    start_capture "$n" "tcp port 1883 or tcp port 2222 or tcp port 1882"
    rm -f "$W.log"
    start_bg "$W.1.out" $PY "$TOOLS/nonmqtt.py" random 1883 "$seed" "$W.log"
    wait_exit "$BGPID" 60 || die "$n: random 1"
    start_bg "$W.2.out" $PY "$TOOLS/nonmqtt.py" random 2222 "$((seed + 100))" "$W.log"
    wait_exit "$BGPID" 60 || die "$n: random 2"
    # a bulk stream of openssl rand bytes through socat, to port 1883
    start_bg "$W.3.out" sh -c "openssl rand 30000 | socat -u - TCP:127.0.0.1:1883"
    wait_exit "$BGPID" 30 || die "$n: bulk"
    stop_capture
    stop_pid "$s1"; stop_pid "$s2"
    facts_begin "$n" nonmqtt-random "$seed" "not MQTT: seeded random binary chunks (1..1400 bytes, a third of them 2 bytes) echoed by socat" \
        "on ports 1883 and 2222, and 30000 bytes of 'openssl rand' sent to 1883 through socat; no MQTT connection"
    fact transport tcp; fact connections 3; fact mqtt no; fact expected_verdict none
    local i=1 p; for p in $(sed -n 's/.*LOCAL_PORT \([0-9]*\).*/\1/p' "$W.log"); do fact conn$i.client_port "$p"; i=$((i + 1)); done
}

scn_nonmqtt_h2c() { # SEED
    local seed=$1 n="nonmqtt-h2c-s$1" W d1 d2
    W=$WORK/$n
    mkdir -p "$W.www"
    openssl rand -out "$W.www/blob.bin" $((2000 + seed * 1500))
    echo "hello h2c $seed" >"$W.www/index.html"
    start_bg "$W.nghttpd1.log" nghttpd --no-tls -d "$W.www" 1882
    d1=$BGPID
    start_bg "$W.nghttpd2.log" nghttpd --no-tls -d "$W.www" 8080
    d2=$BGPID
    wait_listen 1882; wait_listen 8080
    start_capture "$n" "tcp port 1882 or tcp port 8080 or tcp port 1883"
    # HTTP/1.1 Upgrade: h2c on 1882, and h2c with prior knowledge on 8080
    start_bg "$W.c1.log" nghttp -u -n -v http://127.0.0.1:1882/index.html http://127.0.0.1:1882/blob.bin
    wait_exit "$BGPID" 20 || die "$n: nghttp 1"
    start_bg "$W.c2.log" nghttp -n -v -a http://127.0.0.1:8080/index.html http://127.0.0.1:8080/blob.bin
    wait_exit "$BGPID" 20 || die "$n: nghttp 2"
    stop_capture
    stop_pid "$d1"; stop_pid "$d2"
    facts_begin "$n" nonmqtt-h2c "$seed" "not MQTT: HTTP/2 cleartext (nghttp2's nghttp/nghttpd): an HTTP/1.1 Upgrade to h2c on port 1882," \
        "and prior-knowledge h2c on 8080; a small page and $((2000 + seed * 1500)) random bytes; no MQTT connection"
    fact transport http2; fact connections 2; fact mqtt no; fact expected_verdict none
}

scn_nonmqtt_ws() { # SEED
    local seed=$1 n="nonmqtt-ws-s$1" W s1 s2
    W=$WORK/$n
    start_bg "$W.server1.log" env NODE_PATH="$WORK/node_modules" node "$TOOLS/ws_binary.js" server 1882
    s1=$BGPID
    start_bg "$W.server2.log" env NODE_PATH="$WORK/node_modules" node "$TOOLS/ws_binary.js" server 8081
    s2=$BGPID
    wait_listen 1882; wait_listen 8081
    start_capture "$n" "tcp port 1882 or tcp port 8081"
    start_bg "$W.c1.out" env NODE_PATH="$WORK/node_modules" node "$TOOLS/ws_binary.js" client 1882 "$seed" "$W.c1.log"
    local c1=$BGPID
    start_bg "$W.c2.out" env NODE_PATH="$WORK/node_modules" node "$TOOLS/ws_binary.js" client 8081 "$((seed + 100))" "$W.c2.log"
    wait_all 60 "$c1" "$BGPID" || die "$n: a client did not finish"
    stop_capture
    stop_pid "$s1"; stop_pid "$s2"
    facts_begin "$n" nonmqtt-ws "$seed" "not MQTT: Node ws, subprotocol 'chat.bin', 50 seeded random binary frames (1..300 bytes, a third of" \
        "them 2 bytes) echoed, a Ping every 10 frames, Close 1000; on port 1882 and 8081; no MQTT connection"
    fact transport websocket; fact connections 2; fact ws_subprotocol chat.bin; fact mqtt no; fact expected_verdict none
    fact conn1.client_port "$(local_port "$W.c1.log")"; fact conn2.client_port "$(local_port "$W.c2.log")"
}

run_scenario() { # NAME SEED
    case $1 in
        exit-paho-ws-ka3) scn_exit paho 3 "$2" ;;
        exit-paho-ws-ka10) scn_exit paho 10 "$2" ;;
        exit-mqttjs-ws-ka3) scn_exit mqttjs 3 "$2" ;;
        exit-mqttjs-ws-ka10) scn_exit mqttjs 10 "$2" ;;
        stall-paho-ws) scn_stall paho "$2" ;;
        stall-mqttjs-ws) scn_stall mqttjs "$2" ;;
        frozen-broker) scn_frozen_broker "$2" ;;
        frozen-client) scn_frozen_client "$2" ;;
        seed-shape) scn_seed_shape "$2" ;;
        pingdisc) scn_pingdisc "$2" ;;
        nonmqtt-tls) scn_nonmqtt_tls "$2" ;;
        nonmqtt-random) scn_nonmqtt_random "$2" ;;
        nonmqtt-h2c) scn_nonmqtt_h2c "$2" ;;
        nonmqtt-ws) scn_nonmqtt_ws "$2" ;;
    esac
}

# ---------------------------------------------------------------- main
install_deps
if ((!DERIVE_ONLY)); then
    ns_setup
    for s in $SEEDS; do
        for n in "${WANT[@]}"; do
            log "=== $n seed $s"
            MOSQ_LOG=
            run_scenario "$n" "$s"
        done
    done
fi
[[ -z ${NO_DERIVE:-} ]] || { log "done (NO_DERIVE: no wire counts, no derived captures)"; exit 0; }
# d. derived captures for issue 13 (cut, lossy, one-sided), from the captures above and samples/
log "=== derived captures"
log "=== wire counts (tshark) into the .facts"
$PY "$TOOLS/annotate.py" $(ls "$HERE"/*.pcap | grep -v /nonmqtt-)
# (from seed 1's captures and samples/ only, to keep the committed size small)
rm -rf "$HERE/derived"
$PY "$TOOLS/derive.py" --out "$HERE/derived" "$HERE"/*-s1.pcap "$ROOT"/samples/*.pcap
log "done"
