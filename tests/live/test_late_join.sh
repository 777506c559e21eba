#!/bin/bash
# test_late_join.sh - `mqttka -i` started on a broker whose client is
# already connected (issue 13): the paho client (keepalive 2) connects over
# WebSocket and pings twice before mqttka starts, so the capture holds no
# handshake and no CONNECT. mqttka must take the connection up from its
# pings: once it has printed 4 PINGRESPs and its keepalive_inferred
# finding, the test arms the client (SIGUSR1), which at its next PINGRESP
# freezes mosquitto and itself, so nothing flows and no ping is in flight;
# then SIGINT. The summary: "start_seen": false, "keepalive_inferred"
# within 30 % of 2, the PINGREQ and PINGRESP counts (and unanswered ones)
# that the -w file holds, verdict open.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_paho

start_broker
start_client "$TMP/client.log" "$WS_PORT" 2 --freeze-after-usr1 "$BROKER_PID,self"
two_pings() { [ "$(grep -c 'Received PINGRESP$' "$TMP/client.log" 2>/dev/null)" -ge 2 ]; }
wait_for 60 two_pings || { fail "the client did not ping twice: $(tail -5 "$TMP/client.log")"; finish; }

start_mqttka json -i lo --json -w "$TMP/live.pcapng" "tcp port $WS_PORT"
four_pingresps() { [ "$(grep -c '"packet":"PINGRESP"' "$TMP/json.out" 2>/dev/null)" -ge 4 ]; }
wait_running 60 json "$MQTTKA_PID" four_pingresps ||
    { fail "mqttka did not print 4 PINGRESPs: $(tail -5 "$TMP/json.out")"; finish; }
wait_output 30 json "$MQTTKA_PID" '"kind":"keepalive_inferred"' ||
    fail "no keepalive_inferred finding live"

kill -USR1 "$CLIENT_PID"
both_frozen() { grep -qs " PAUSED$" "$TMP/client.log" && stopped "$CLIENT_PID" && stopped "$BROKER_PID"; }
if ! wait_for 30 both_frozen; then
    fail "the client did not freeze the broker and itself at a PINGRESP: $(tail -5 "$TMP/client.log")"
    finish
fi
stop_mqttka "$MQTTKA_PID" json

"$PY" "$HERE/check_late_join.py" "$TMP/json.out" "$TMP/live.pcapng" "$WS_PORT" 2 ||
    fail "the summary does not tell what the capture holds: $(grep '"type":"connection"' "$TMP/json.out")"
finish
