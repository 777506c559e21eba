#!/bin/bash
# test_client_frozen.sh - the other clock-told findings, live: right after
# the first ping pair the paho client (keepalive 2) freezes mosquitto and
# then itself with SIGSTOP, so nothing flows (mosquitto alone would close
# the silent client somewhere between 3 and 10 s, racing the findings under
# test); client_silent_over_keepalive must appear KAe + tol = 3 s after the
# client's last packet and client_silent_over_1_5_keepalive 1.5 x KAe + tol
# = 4 s after it, each within 1 s. Then SIGINT: the summary (open), exit 0;
# the -w file read back gives no finding the live run did not give.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_paho

start_broker
start_mqttka json -i lo --json -w "$TMP/live.pcapng" "tcp port $WS_PORT"
start_client "$TMP/client.log" "$WS_PORT" 2 --freeze-after-pingresp "$BROKER_PID,self"
both_frozen() { grep -qs " PAUSED$" "$TMP/client.log" && stopped "$CLIENT_PID" && stopped "$BROKER_PID"; }
if ! wait_for 30 both_frozen; then
    fail "the client did not freeze the broker and itself after the first PINGRESP: $(tail -5 "$TMP/client.log")"
    finish
fi
wait_output 20 json "$MQTTKA_PID" '"kind":"client_silent_over_1_5_keepalive"' ||
    fail "no client_silent_over_1_5_keepalive while the client and the broker are frozen"
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
