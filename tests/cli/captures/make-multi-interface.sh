#!/bin/bash
# make-multi-interface.sh - makes multi-interface.pcapng: one pcapng from
# dumpcap capturing on two interfaces of different link types at once, as
# `dumpcap -i any -i lo` and Wireshark's multi-interface captures write it:
#
#   interface 0  lo   EN10MB      filter "tcp port WS"  (MQTT over WebSocket)
#   interface 1  any  LINUX_SLL2  filter "tcp port TCP" (plain MQTT)
#
# Real traffic: mosquitto (a plain and a WebSocket listener on 127.0.0.1)
# and two paho python clients (keepalive 2), one over each listener, each
# holding its connection for about 5 s (two PINGREQs each) and then exiting
# (a FIN, no DISCONNECT). The clients' logs are kept beside the capture as
# multi-interface.log, for what they sent and received.
#
#   sudo tests/cli/captures/make-multi-interface.sh
#
# Debian 12 as root: mosquitto, python3-paho-mqtt, wireshark-common (dumpcap).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIVE=$HERE/../../live
PY=/usr/bin/python3
OUT=$HERE/multi-interface.pcapng
TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

PORTS=($("$PY" "$LIVE/free_ports.py" 2))
TCP_PORT=${PORTS[0]} WS_PORT=${PORTS[1]}
cat >"$TMP/mosquitto.conf" <<CONF
user root
per_listener_settings false
allow_anonymous true
persistence false
listener $TCP_PORT 127.0.0.1
listener $WS_PORT 127.0.0.1
protocol websockets
CONF
mosquitto -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
PIDS+=($!)
sleep 1

# -y per interface: lo is EN10MB; "any" as LINUX_SLL2 (it names the
# interface of each packet). pcapng is dumpcap's default format.
dumpcap -q -i lo -f "tcp port $WS_PORT" -i any -y LINUX_SLL2 -f "tcp port $TCP_PORT" \
    -w "$TMP/multi.pcapng" 2>"$TMP/dumpcap.err" &
DUMPCAP=$!
PIDS+=($DUMPCAP)
for _ in $(seq 50); do grep -q "File:" "$TMP/dumpcap.err" 2>/dev/null && break; sleep 0.1; done
sleep 1

"$PY" "$LIVE/paho_client.py" --port "$WS_PORT" --ka 2 --client-id mqttka-multi-ws \
    --max-seconds 5 --log "$TMP/ws.log" &
WS_CLIENT=$!
"$PY" "$LIVE/paho_client.py" --port "$TCP_PORT" --transport tcp --ka 2 \
    --client-id mqttka-multi-tcp --max-seconds 5 --log "$TMP/tcp.log" &
TCP_CLIENT=$!
wait "$WS_CLIENT" "$TCP_CLIENT"
sleep 1
kill -INT "$DUMPCAP"
wait "$DUMPCAP" || true
cp "$TMP/multi.pcapng" "$OUT"
{
    echo "# made by make-multi-interface.sh; interface 0 lo (tcp port $WS_PORT, websocket),"
    echo "# interface 1 any (tcp port $TCP_PORT, plain MQTT); the paho clients' logs:"
    sed 's/^/ws  /' "$TMP/ws.log"
    sed 's/^/tcp /' "$TMP/tcp.log"
} >"$HERE/multi-interface.log"
echo "wrote $OUT"
