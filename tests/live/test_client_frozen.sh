#!/bin/bash
# test_client_frozen.sh - the other clock-told findings, live: after a ping
# pair the paho client (keepalive 2) and mosquitto are both frozen with
# SIGSTOP, so nothing flows (mosquitto alone would close the silent client
# somewhere between 3 and 10 s, racing the findings under test);
# client_silent_over_keepalive must appear KAe + tol = 3 s after the
# client's last packet and client_silent_over_1_5_keepalive 1.5 x KAe + tol
# = 4 s after it, each within 1 s. Then SIGINT: the summary (open), exit 0;
# the -w file read back gives no finding the live run did not give.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_paho

start_broker
start_mqttka json -i lo --json -w "$TMP/live.pcapng" "tcp port $WS_PORT"
start_client "$TMP/client.log" "$WS_PORT" 2
wait_for 8 grep -q '"packet":"PINGRESP"' "$TMP/json.out" ||
    fail "no PINGRESP printed live within 8 s"
kill -STOP "$CLIENT_PID" "$BROKER_PID"
STOPPED+=("$CLIENT_PID" "$BROKER_PID")
wait_for 7 grep -q '"kind":"client_silent_over_1_5_keepalive"' "$TMP/json.out" ||
    fail "no client_silent_over_1_5_keepalive within 7 s of freezing the client"
stop_mqttka "$MQTTKA_PID" json

"$PY" "$HERE/finding_latency.py" "$TMP/json.out" client_silent_over_keepalive 3 ||
    fail "client_silent_over_keepalive not on time"
"$PY" "$HERE/finding_latency.py" "$TMP/json.out" client_silent_over_1_5_keepalive 4 ||
    fail "client_silent_over_1_5_keepalive not on time"
grep -q '"type":"connection".*"verdict":"open"' "$TMP/json.out" ||
    fail "no summary with verdict open after SIGINT"

"$MQTTKA" --json -r "$TMP/live.pcapng" >"$TMP/replay" 2>"$TMP/replay.err" ||
    fail "mqttka -r on the -w file: $(cat "$TMP/replay.err")"
# Silences the clock told are about the last client packet; a file tells
# them at the packet that ended them: same kind, another frame.
cut -d' ' -f2- "$TMP/json.out" |
    jq -c 'select(.type=="finding") | [.frame, .kind]' | sort -u >"$TMP/a"
cut -d' ' -f2- "$TMP/json.out" |
    jq -r 'select(.type=="finding" and .reported_frame==null) | .kind' | sort -u >"$TMP/clock"
jq -c 'select(.type=="finding") | [.frame, .kind]' "$TMP/replay" | sort -u >"$TMP/b"
extra=$(comm -13 "$TMP/a" "$TMP/b" | grep -vFf <(sed 's/.*/"&"/' "$TMP/clock"))
[ -z "$extra" ] || fail "findings from the -w file that live did not give: $extra"
finish
