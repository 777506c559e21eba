#!/usr/bin/env bash
# Held-out real-traffic captures for issue 17 (encrypted MQTT): mqtts and MQTT over WebSocket over
# TLS to mosquitto, TLS 1.2 and 1.3, with each capture's key log (NSS format) beside it, their
# cleartext twins, and TLS that carries no MQTT. See tests/heldout/tls/README.md.
#
#   sudo tests/heldout/make-tls.sh                        # everything, seeds 1 2 3
#   sudo tests/heldout/make-tls.sh healthy frozen-broker  # these scenarios (tls and clear twins)
#   sudo SEEDS="4" tests/heldout/make-tls.sh              # other seeds: new captures
#   sudo tests/heldout/make-tls.sh --check-only           # only the tshark checks (tls/CHECKS.txt)
#   sudo tests/heldout/make-tls.sh --truth-only           # rewrite the MQTT captures' .facts from the logs in .work
#   tests/heldout/make-tls.sh --list
#
# Debian 12, as root. Installs what it lacks (apt: mosquitto, mosquitto-clients, python3-paho-mqtt,
# tcpdump, tshark, nodejs, npm, iproute2, ethtool, openssl, curl, gcc, libc6-dev, libssl-dev,
# gnutls-bin; npm: mqtt@5 ws@8 into tests/heldout/tls/.work/, git-ignored with the logs), makes a
# throwaway CA and a server certificate for broker.mqttka.test with openssl, and runs every scenario
# in a private network namespace ($NS) whose loopback has MTU 1500 and no segmentation offload.
# broker.mqttka.test resolves to 127.0.0.1 through /etc/netns/$NS/hosts (ip netns exec mounts it
# over /etc/hosts for the namespace's processes only); it is removed on exit.
#
# Truth (.facts) is written by tls/tools/truth_tls.py from the plan, the clients' own logs (paho's
# on_log and Python ssl's version()/cipher(), MQTT.js packetsend/packetreceive and Node's
# getProtocol()/getCipher(), mosquitto_sub/_pub -d and OpenSSL's answers through keylog_shim.so)
# and mosquitto's log, never from mqttka. tshark (with the key log) checks the design on the wire.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/tls
WORK=$OUT/.work
TOOLS=$OUT/tools
NS=${TLS_NS:-mqttka-heldout-tls17}   # our own namespace (TLS_NS: another one, for a second run at the same time)
PY=/usr/bin/python3
MAX_PCAP=400000
SEEDS=${SEEDS:-1 2 3}
export TLS_WORK=$WORK TLS_TOOLS=$TOOLS

MQTT_SCN=(healthy exit frozen-broker frozen-client)
OTHER_SCN=(nonmqtt-https keyupdate heartbeat)
ALL=("${MQTT_SCN[@]}" "${OTHER_SCN[@]}")

log() { printf '[tls %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
[[ $EUID -eq 0 ]] || die "run as root (sudo $0)"

CHECK_ONLY=0
TRUTH_ONLY=0
WANT=()
for a in "$@"; do
    if [[ $a == --check-only ]]; then CHECK_ONLY=1; continue; fi
    if [[ $a == --truth-only ]]; then CHECK_ONLY=1; TRUTH_ONLY=1; continue; fi
    [[ " ${ALL[*]} " == *" $a "* ]] || die "unknown scenario '$a' (try --list)"
    WANT+=("$a")
done
[[ ${#WANT[@]} -gt 0 ]] || WANT=("${ALL[@]}")

# ---------------------------------------------------------------- dependencies
install_deps() {
    export PATH=$PATH:/usr/sbin:/sbin
    local missing=()
    command -v mosquitto >/dev/null || missing+=(mosquitto)
    command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)
    $PY -c 'import paho.mqtt.client' 2>/dev/null || missing+=(python3-paho-mqtt)
    command -v tcpdump >/dev/null || missing+=(tcpdump)
    command -v tshark >/dev/null || missing+=(tshark)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v ethtool >/dev/null || missing+=(ethtool)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v curl >/dev/null || missing+=(curl)
    command -v cc >/dev/null || missing+=(gcc libc6-dev)
    [[ -f /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
    command -v gnutls-serv >/dev/null || missing+=(gnutls-bin)
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    mkdir -p "$WORK"
    [[ -f $WORK/package.json ]] || echo '{ "name": "mqttka-heldout-tls-work", "private": true, "version": "0.0.0" }' >"$WORK/package.json"
    if [[ ! -d $WORK/node_modules/mqtt || ! -d $WORK/node_modules/ws ]]; then
        log "npm install mqtt@5 ws@8 into $WORK"
        (cd "$WORK" && npm install --no-audit --no-fund --silent mqtt@5 ws@8)
    fi
    cc -shared -fPIC -O2 -Wall -o "$WORK/keylog_shim.so" "$TOOLS/keylog_shim.c" -ldl -lssl -lcrypto
}

# a throwaway CA and a server certificate (RSA 2048) for broker.mqttka.test, localhost, 127.0.0.1;
# OpenSSL configuration files that pin the TLS version or the TLS 1.3 suite of one client process
make_certs() {
    if [[ ! -f $WORK/server.crt ]]; then
        log "openssl: throwaway CA and server certificate in $WORK"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.crt" -days 3650 \
            -subj "/CN=mqttka held-out test CA" >/dev/null 2>&1
        openssl req -newkey rsa:2048 -nodes -keyout "$WORK/server.key" -out "$WORK/server.csr" \
            -subj "/CN=broker.mqttka.test" >/dev/null 2>&1
        printf '%s\n' "subjectAltName=DNS:broker.mqttka.test,DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
            "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$WORK/server.ext"
        openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
            -out "$WORK/server.crt" -days 3650 -extfile "$WORK/server.ext" >/dev/null 2>&1
    fi
    printf '%s\n' "openssl_conf = oc" "[oc]" "ssl_conf = sc" "[sc]" "system_default = sd" "[sd]" \
        "MaxProtocol = TLSv1.2" >"$WORK/openssl-tls12.cnf"
    local s
    for s in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
        printf '%s\n' "openssl_conf = oc" "[oc]" "ssl_conf = sc" "[sc]" "system_default = sd" "[sd]" \
            "MinProtocol = TLSv1.3" "Ciphersuites = $s" >"$WORK/openssl-$s.cnf"
    done
}

# ---------------------------------------------------------------- namespace, processes
PIDS=()
STOPPED=()
cleanup_procs() {
    set +e
    for p in "${STOPPED[@]}"; do kill -9 "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    PIDS=(); STOPPED=()
}
cleanup() {
    cleanup_procs
    ip netns del "$NS" 2>/dev/null
    rm -rf "/etc/netns/$NS"
}

ns_setup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "/etc/netns/$NS"
    printf '%s\n' "127.0.0.1 localhost" "::1 localhost" "127.0.0.1 broker.mqttka.test" >"/etc/netns/$NS/hosts"
    ip netns exec "$NS" ip link set lo up mtu 1500
    ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "warning: ethtool -K lo failed"
}

start_bg() { # LOGFILE CMD... -> $BGPID
    local logf=$1; shift
    ip netns exec "$NS" nice -n -5 "$@" >"$logf" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

wait_listen() { # PORT
    local i
    for ((i = 0; i < 100; i++)); do
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

stop_pid() { kill -CONT "$1" 2>/dev/null || true; kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

start_mosq() { # NAME -> $MOSQ_PID, $MOSQ_LOG
    local conf=$WORK/$1.mosquitto.conf
    MOSQ_LOG=$WORK/$1.mosquitto.log
    cat >"$conf" <<EOC
# generated by tests/heldout/make-tls.sh
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
listener 8883
certfile $WORK/server.crt
keyfile $WORK/server.key
listener 8084
protocol websockets
certfile $WORK/server.crt
keyfile $WORK/server.key
EOC
    rm -f "$MOSQ_LOG"
    start_bg "$WORK/$1.mosquitto.out" mosquitto -c "$conf"
    MOSQ_PID=$BGPID
    wait_listen 1883; wait_listen 1882; wait_listen 8883; wait_listen 8084
}

CAP_FILTER_DEFAULT="tcp port 1882 or tcp port 1883 or tcp port 8883 or tcp port 8084"
start_capture() { # NAME [FILTER]
    CAP_FILE=$OUT/$1.pcap
    rm -f "$CAP_FILE" "$OUT/$1.facts" "$OUT/$1.keys"
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

# the key log of a capture: every key log line its clients wrote, one file (NSS key log format)
collect_keys() { # NAME FILES...
    local n=$1; shift
    { echo "# NSS key log (SSLKEYLOGFILE format) of the TLS sessions in $n.pcap: throwaway test keys of loopback"
      echo "# sessions made by tests/heldout/make-tls.sh, written by the clients themselves (see tls/README.md)"
      cat "$@" 2>/dev/null | grep -v '^#' | grep . || true; } >"$OUT/$n.keys"
}

child_pid() { sed -n 's/.*START pid=\([0-9]*\).*/\1/p' "$1" | head -1; }
has_connack() { grep -qE "CONNACK rc=|RECV connack|received CONNACK" "$1" 2>/dev/null; }

# ---------------------------------------------------------------- MQTT scenarios (tls and clear twins)
run_mqtt() { # SCENARIO SEED MODE
    local scn=$1 seed=$2 mode=$3 n="$3-$1-s$2" W P i pids=() k
    W=$WORK/$n
    P=$W.plan.json
    $PY "$TOOLS/plan_tls.py" plan "$scn" "$seed" "$mode" >"$P"
    start_mosq "$n"
    start_capture "$n"
    rm -f "$W".c*.log* "$W".c*.keys
    for ((i = 1; i <= 12; i++)); do
        start_bg "$W.c$i.out" $PY "$TOOLS/plan_tls.py" launch "$P" $i "$W.c$i.log" "$W.c$i.keys"
        pids+=("$BGPID")
        sleep 0.25
    done
    # every client's CONNACK (start-up takes seconds on a loaded machine)
    for ((k = 0; k < 600; k++)); do
        local all=1
        for ((i = 1; i <= 12; i++)); do has_connack "$W.c$i.log" || { all=0; break; }; done
        ((all)) && break
        sleep 0.1
    done
    ((all)) || die "$n: not every client got its CONNACK"
    date +%s.%N >"$W.all_connack"
    local cpids=()
    for ((i = 1; i <= 12; i++)); do cpids+=("$(child_pid "$W.c$i.log")"); done
    case $scn in
        healthy|exit)
            wait_all 120 "${pids[@]}" || die "$n: a client did not finish"
            ;;
        frozen-broker)
            sleep "$($PY -c "import json; print(json.load(open('$P'))['broker_freeze_after_last_connack_s'])")"
            kill -STOP "$MOSQ_PID"; STOPPED+=("$MOSQ_PID")
            date +%s.%N >"$W.broker_stopped"
            wait_all 90 "${pids[@]}" || die "$n: a client did not give up"
            ;;
        frozen-client)
            for ((i = 1; i <= 12; i++)); do
                STOPPED+=("${cpids[i - 1]}")
                ( sleep "$($PY "$TOOLS/plan_tls.py" get "$P" $i freeze_after)"
                  date +%s.%N >"$W.c$i.log.stopped"; kill -STOP "${cpids[i - 1]}" ) &
                PIDS+=("$!")
            done
            for ((k = 0; k < 900; k++)); do
                local all=1
                for ((i = 1; i <= 12; i++)); do
                    grep -qE "hx-$n-$i (has exceeded timeout|closed its connection)" "$MOSQ_LOG" || { all=0; break; }
                done
                ((all)) && break
                sleep 0.1
            done
            ((all)) || die "$n: mosquitto did not drop every frozen client"
            ;;
    esac
    stop_capture
    if [[ $scn == frozen-client ]]; then
        for p in "${cpids[@]}"; do kill -9 "$p" 2>/dev/null || true; kill -CONT "$p" 2>/dev/null || true; done
        for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    fi
    stop_pid "$MOSQ_PID"
    if [[ $mode == tls ]]; then collect_keys "$n" "$W".c*.keys; fi
    $PY "$TOOLS/truth_tls.py" mqtt --plan "$P" --work "$WORK" --mosq-log "$MOSQ_LOG" --pcap "$CAP_FILE" \
        $([[ $mode == tls ]] && echo --keys "$OUT/$n.keys") --out "$OUT/$n.facts"
}

# ---------------------------------------------------------------- TLS without MQTT, key update, heartbeat
# plans: python's random.Random(name), as for the MQTT captures
plan() { $PY -c "import random; r = random.Random('$1'); $2"; }

# HTTPS with periodic small requests: python http.server behind ssl (HTTP/1.1 keep-alive) on 443 and
# on 8883 (MQTT's TLS port), openssl s_server -www on 8084; curl (--rate, one connection reused),
# python http.client polling on one connection, curl once per connection to s_server
scn_nonmqtt_https() { # SEED
    local seed=$1 n="nonmqtt-https-s$1" W s1 s2 s3 pids=() iv cnt iv2 c12 tls13
    W=$WORK/$n
    read -r iv cnt iv2 c12 tls13 < <(plan "$n" "print('%.1f' % r.uniform(2, 4), r.randint(5, 7), '%.1f' % r.uniform(2, 4),
        r.choice(['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']),
        r.choice(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']))")
    rm -f "$W".*
    start_bg "$W.srv443.out" $PY "$TOOLS/nonmqtt_tls.py" server 443 "$WORK/server.crt" "$WORK/server.key" "$W.server.log"
    s1=$BGPID
    start_bg "$W.srv8883.out" $PY "$TOOLS/nonmqtt_tls.py" server 8883 "$WORK/server.crt" "$WORK/server.key" "$W.server.log"
    s2=$BGPID
    start_bg "$W.sserver.log" openssl s_server -accept 8084 -cert "$WORK/server.crt" -key "$WORK/server.key" -www
    s3=$BGPID
    wait_listen 443; wait_listen 8883; wait_listen 8084
    start_capture "$n" "tcp port 443 or tcp port 8883 or tcp port 8084"
    local urls=() k
    for ((k = 1; k <= cnt; k++)); do urls+=("https://broker.mqttka.test/ping?n=$k"); done
    # curl: --rate 20/m = a request every 3 s on one kept-alive connection (TLS 1.3, the suite planned)
    start_bg "$W.curl1.log" $PY "$TOOLS/nonmqtt_tls.py" curl "$W.conns" "$W.curl1.keys" --cacert "$WORK/ca.crt" \
        --tls13-ciphers "$tls13" --rate 20/m "${urls[@]}"
    pids+=("$BGPID")
    # python http.client: GET /status every IV s on MQTT's TLS port (TLS 1.2, the suite planned)
    start_bg "$W.poll1.log" $PY "$TOOLS/nonmqtt_tls.py" poll https://broker.mqttka.test:8883/status "$WORK/ca.crt" \
        "$W.poll1.keys" "$cnt" "$iv" 1.2 "$c12" "$W.conns"
    pids+=("$BGPID")
    # python http.client: GET /ping every IV2 s to 127.0.0.1 (no SNI), TLS 1.3 (OpenSSL's default suite)
    start_bg "$W.poll2.log" $PY "$TOOLS/nonmqtt_tls.py" poll https://127.0.0.1:443/ping "$WORK/ca.crt" \
        "$W.poll2.keys" "$cnt" "$iv2" 1.3 - "$W.conns"
    pids+=("$BGPID")
    # curl to openssl s_server -www on 8084 (MQTT over WebSocket over TLS's port): 3 connections, 3 s apart, TLS 1.2
    ( for k in 1 2 3; do
          ip netns exec "$NS" $PY "$TOOLS/nonmqtt_tls.py" curl "$W.conns" "$W.curl2.keys" --cacert "$WORK/ca.crt" \
              --tls-max 1.2 --ciphers "$c12" https://broker.mqttka.test:8084/ >>"$W.curl2.log" 2>&1
          sleep 3
      done ) &
    pids+=("$!"); PIDS+=("$!")
    wait_all 90 "${pids[@]}" || die "$n: a client did not finish"
    stop_capture
    stop_pid "$s1"; stop_pid "$s2"; stop_pid "$s3"
    collect_keys "$n" "$W".*.keys
    $PY "$TOOLS/truth_tls.py" simple --conns "$W.conns" --class nonmqtt-https --seed "$seed" --pcap "$CAP_FILE" \
        --keys "$OUT/$n.keys" --out "$OUT/$n.facts" \
        --note "not MQTT: HTTPS with periodic small requests (the hard case for a keepalive inferred from record sizes):" \
        --note "curl --rate 20/m, $cnt GET /ping on one kept-alive connection to python http.server (HTTP/1.1) on 443, TLS 1.3 $tls13;" \
        --note "python http.client, $cnt GET /status every $iv s on one connection to python http.server on 8883 (MQTT's TLS port), TLS 1.2 $c12;" \
        --note "python http.client, $cnt GET /ping every $iv2 s to https://127.0.0.1:443 (no SNI), TLS 1.3;" \
        --note "curl to openssl s_server -www on 8084 (the wss port), 3 connections 3 s apart, TLS 1.2 $c12 (HTTP/1.0 answer, then close)." \
        --note "Key log: curl's SSLKEYLOGFILE and Python's SSLContext.keylog_filename; the tools should report no MQTT connection"
}

# TLS 1.3 KeyUpdate inside MQTT: openssl s_client carries an MQTT 3.1.1 session to mosquitto on 8883
# (raw_tls_mqtt.py writes the packets) and is told to update its keys before every PINGREQ
scn_keyupdate() { # SEED
    local seed=$1 n="keyupdate-s$1" W pids=() kas
    W=$WORK/$n
    kas=($(plan "$n" "print('\n'.join(str(r.randint(2, 5)) for _ in range(3)))"))
    rm -f "$W".*
    start_mosq "$n"
    start_capture "$n" "tcp port 8883"
    local suites=(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256) upd=(K k K) i
    for ((i = 0; i < 3; i++)); do
        start_bg "$W.c$((i + 1)).out" $PY "$TOOLS/raw_tls_mqtt.py" --shim "$WORK/keylog_shim.so" --conns "$W.conns" \
            --cafile "$WORK/ca.crt" --keylog "$W.c$((i + 1)).keys" --ka "${kas[i]}" --client-id "hx-$n-$((i + 1))" \
            --suite "${suites[(i + seed) % 3]}" --update "${upd[i]}" --pings 4 --log "$W.c$((i + 1)).log"
        pids+=("$BGPID")
        sleep 0.7
    done
    wait_all 90 "${pids[@]}" || die "$n: a client did not finish"
    stop_capture
    stop_pid "$MOSQ_PID"
    collect_keys "$n" "$W".c*.keys
    $PY "$TOOLS/truth_tls.py" simple --mqtt --conns "$W.conns" --class keyupdate --seed "$seed" --pcap "$CAP_FILE" \
        --keys "$OUT/$n.keys" --out "$OUT/$n.facts" \
        --note "TLS 1.3 KeyUpdate inside MQTT: openssl s_client -tls1_3 carries an MQTT 3.1.1 session (CONNECT, 4 PINGREQ KA s apart," \
        --note "2 PUBLISH QoS 0, DISCONNECT; the bytes written by tls/tools/raw_tls_mqtt.py) to mosquitto 2.0.11 on 8883; 0.5 s before every" \
        --note "PINGREQ s_client is told 'K' (KeyUpdate, update_requested: mosquitto's OpenSSL answers with its own) or 'k' (update_not_requested)." \
        --note "The key log holds only the *_TRAFFIC_SECRET_0 lines: later secrets must be derived (RFC 8446 7.2). tshark 4.0 follows them." \
        --note "keyupdate_commands: typed by the driver; keyupdate_reported: s_client's KEYUPDATE lines; wire_tls13_keyupdates: tshark"
}

# TLS heartbeats (RFC 6520) with GnuTLS (OpenSSL 3 has none): gnutls-serv --echo --heartbeat on 8883 sends
# a heartbeat request each time it reads the line **HEARTBEAT**; gnutls-cli --heartbeat answers it
scn_heartbeat() { # SEED
    local seed=$1 n="heartbeat-s$1" W sv iv cnt k
    W=$WORK/$n
    read -r iv cnt < <(plan "$n" "print('%.1f' % r.uniform(2, 4), r.randint(5, 7))")
    rm -f "$W".*
    start_bg "$W.server.log" gnutls-serv --echo --heartbeat -p 8883 --x509certfile "$WORK/server.crt" --x509keyfile "$WORK/server.key"
    sv=$BGPID
    wait_listen 8883
    start_capture "$n" "tcp port 8883"
    ( for ((k = 1; k <= cnt; k++)); do echo "status $k"; sleep 0.5; echo "**HEARTBEAT**"; sleep "$iv"; done ) |
        ip netns exec "$NS" env SSLKEYLOGFILE="$W.c1.keys" LD_PRELOAD="$WORK/keylog_shim.so" MQTTKA_SHIM_LOG="$W.c1.shim" \
            gnutls-cli --heartbeat --x509cafile "$WORK/ca.crt" -p 8883 \
            --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM' broker.mqttka.test >"$W.c1.log" 2>&1 || true
    stop_capture
    stop_pid "$sv"
    local lp desc nhb
    lp=$(sed -n 's/.*TCP_CONNECT local_addr=[^ ]* local_port=\([0-9]*\) remote_port=8883.*/\1/p' "$W.c1.shim" | head -1)
    desc=$(sed -n 's/^- Description: \(.*\)/\1/p' "$W.c1.log" | head -1)
    nhb=$(grep -c 'Processing 14 bytes command: \*\*HEARTBEAT\*\*' "$W.server.log" || true)
    [[ $desc == "(TLS1.2)-(ECDHE-SECP256R1)-(RSA-SHA256)-(AES-128-GCM)" || $desc == "(TLS1.2)-(ECDHE-X25519)-(RSA-SHA256)-(AES-128-GCM)" || $desc == *"(TLS1.2)"*"(AES-128-GCM)" ]] \
        || log "warning: $n: gnutls-cli reports '$desc'"
    echo "client=gnutls-cli client_port=$lp server_port=8883 tls_version=TLSv1.2 tls_cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 sni=broker.mqttka.test tls_info_from=gnutls-cli_Description:$(tr ' ' _ <<<"$desc") messages=$cnt interval_s=$iv heartbeat_requests_by_server=$nhb" >"$W.conns"
    collect_keys "$n" "$W.c1.keys"
    $PY "$TOOLS/truth_tls.py" simple --conns "$W.conns" --class heartbeat --seed "$seed" --pcap "$CAP_FILE" \
        --keys "$OUT/$n.keys" --out "$OUT/$n.facts" \
        --note "not MQTT: TLS heartbeats (RFC 6520) on 8883, TLS 1.2 (GnuTLS 3.7; OpenSSL 3 has no heartbeat support)." \
        --note "gnutls-cli --heartbeat sends a line 'status K' then '**HEARTBEAT**' every $iv s ($cnt times) to gnutls-serv --echo --heartbeat," \
        --note "which echoes the lines and answers each '**HEARTBEAT**' with a heartbeat request of its own (server -> client), answered by" \
        --note "gnutls-cli (heartbeat_requests_by_server: gnutls-serv's log). Heartbeats are not MQTT pings; the tools should report no MQTT."
}

# ---------------------------------------------------------------- main
# A run whose logs do not add up (a client too slow to start on a busy machine, a drop that never
# came) is made again, up to three times; the processes of a failed try are ended first.
run_try() { # NAME FUNCTION ARGS...
    local n=$1 try rc; shift
    for try in 1 2 3; do
        log "=== $n (try $try)"
        set +e
        ( set -e; trap cleanup_procs EXIT; trap 'exit 130' INT TERM; "$@" )
        rc=$?
        set -e
        ((rc != 130)) || exit 130
        ((rc != 0)) || return 0
    done
    die "$n failed three times"
}

install_deps
make_certs
if ((!CHECK_ONLY)); then
    ns_setup
    for s in $SEEDS; do
        for scn in "${WANT[@]}"; do
            if [[ " ${MQTT_SCN[*]} " == *" $scn "* ]]; then
                for mode in tls clear; do
                    run_try "$mode-$scn-s$s" run_mqtt "$scn" "$s" "$mode"
                done
            else
                run_try "$scn-s$s" "scn_${scn//-/_}" "$s"
            fi
        done
    done
fi
if ((TRUTH_ONLY)); then
    for P in "$WORK"/*.plan.json; do
        n=$(basename "$P" .plan.json)
        [[ -f $OUT/$n.pcap ]] || continue
        log "truth: $n"
        $PY "$TOOLS/truth_tls.py" mqtt --plan "$P" --work "$WORK" --mosq-log "$WORK/$n.mosquitto.log" --pcap "$OUT/$n.pcap" \
            $([[ $n == tls-* ]] && echo --keys "$OUT/$n.keys") --out "$OUT/$n.facts"
    done
fi
[[ -z ${NO_CHECK:-} ]] || { log "done (NO_CHECK: no tshark checks)"; exit 0; }
log "=== tshark checks"
$PY "$TOOLS/check_tls.py" "$OUT" >"$OUT/CHECKS.txt" || die "tshark checks failed"
cat "$OUT/CHECKS.txt" >&2
log "done"
