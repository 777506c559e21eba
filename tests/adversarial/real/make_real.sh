#!/bin/bash
# make_real.sh OUTDIR - real traffic that is not MQTT, made by real software
# on 127.0.0.1 and captured with tcpdump, for false_positives.py (issue 13:
# no such flow, joined at any point, may be taken for MQTT). Run as root.
#
#   OUTDIR/tls-h2.pcap   h2load over TLS (HTTP/2 in TLS, ALPN h2) against
#                        nghttpd: 20 connections, 400 requests of a 48 KiB
#                        file of random bytes
#   OUTDIR/h2c.pcap      the same in clear text (h2c, prior knowledge)
#   OUTDIR/random.pcap   40 clients sending random bytes (openssl rand) in
#                        chunks of random sizes through socat to a socat
#                        echo server
#   OUTDIR/ws-push.pcap  a Node ws server pushing random binary frames
#                        (mostly under 126 bytes: unmasked, each one is an
#                        MQTT SUBSCRIBE to the byte) and JSON text frames to
#                        20 clients, which send a few masked frames back
#
# ONLY=ws-push makes that capture alone; WS_CLIENTS (20) and WS_FRAMES (300)
# size it. The capture committed beside this script, ws-push-small.pcap,
# was made with `ONLY=ws-push WS_CLIENTS=4 WS_FRAMES=100 make_real.sh DIR`
# and renamed; the others are too big to commit (false_positives.py was run
# on them for issue 13's closing note).
#
# Needs: tcpdump, openssl, socat, nghttp2-client, nghttp2-server, nodejs,
# npm (ws@8 is installed into a temporary folder). Ports are free ones
# above 20000; every process started here is ended here.
set -euo pipefail
out=${1:?output folder}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/make-real.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# capture NAME PORT: tcpdump on lo for PORT into OUTDIR/NAME.pcap; $cap_pid
capture() {
    tcpdump -i lo -s 0 -U -w "$out/$1.pcap" "tcp port $2" 2>"$tmp/$1.tcpdump" &
    cap_pid=$!
    pids+=("$cap_pid")
    for _ in $(seq 100); do grep -q "listening on" "$tmp/$1.tcpdump" && return; sleep 0.1; done
    echo "tcpdump did not start: $(cat "$tmp/$1.tcpdump")" >&2
    exit 1
}
stop_capture() {
    sleep 1 # the last ACKs
    kill -INT "$cap_pid"
    wait "$cap_pid" 2>/dev/null || true
    echo "$(basename "$1"): $(capinfos -c -M "$1" | grep -o '[0-9]*$') records, $(stat -c %s "$1") bytes"
}
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    exit 1
}

ONLY=${ONLY:-}
WS_CLIENTS=${WS_CLIENTS:-20}
WS_FRAMES=${WS_FRAMES:-300}

if [ -z "$ONLY" ]; then
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
mkdir -p "$tmp/www"
openssl rand -out "$tmp/www/file" 49152

# HTTP/2 over TLS, then in clear text.
for kind in tls-h2 h2c; do
    port=$(free_port)
    if [ "$kind" = h2c ]; then
        nghttpd --no-tls -d "$tmp/www" -a 127.0.0.1 "$port" >/dev/null 2>&1 &
        url=http://127.0.0.1:$port/file
    else
        nghttpd -d "$tmp/www" -a 127.0.0.1 "$port" "$tmp/key.pem" "$tmp/cert.pem" >/dev/null 2>&1 &
        url=https://127.0.0.1:$port/file
    fi
    pids+=("$!")
    server=$!
    sleep 0.5
    capture "$kind" "$port"
    h2load -n 400 -c 20 -m 4 "$url" >"$tmp/$kind.h2load" 2>&1
    grep -q "400 succeeded" "$tmp/$kind.h2load" || { cat "$tmp/$kind.h2load" >&2; exit 1; }
    stop_capture "$out/$kind.pcap"
    kill "$server"
done

# Random bytes echoed.
port=$(free_port)
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" EXEC:cat &
pids+=("$!")
wait_port "$port"
capture random "$port"
for i in $(seq 40); do
    # chunks of random sizes: 2..1400 bytes, a pause between, as a
    # request-response protocol would
    for j in $(seq 30); do
        openssl rand $(( (i * 7919 + j * 104729) % 1399 + 2 ))
        sleep 0.01
    done | socat -t 1 - "TCP:127.0.0.1:$port" >/dev/null &
    pids+=("$!")
    [ $((i % 10)) -eq 0 ] && wait "${pids[-1]}" || true
done
sleep 3
stop_capture "$out/random.pcap"
fi

# WebSocket pushing binary frames.
(cd "$tmp" && npm install --no-audit --no-fund --silent ws@8 >/dev/null 2>&1)
port=$(free_port)
NODE_PATH="$tmp/node_modules" node "$here/ws_push.js" server "$port" >"$tmp/ws.server" 2>&1 &
pids+=("$!")
wait_port "$port"
capture ws-push "$port"
clients=()
for i in $(seq "$WS_CLIENTS"); do
    NODE_PATH="$tmp/node_modules" node "$here/ws_push.js" client "$port" "$i" "$WS_FRAMES" &
    clients+=("$!")
done
for c in "${clients[@]}"; do wait "$c"; done
stop_capture "$out/ws-push.pcap"
