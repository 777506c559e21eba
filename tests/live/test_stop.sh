#!/bin/bash
# test_stop.sh - the ways a live capture ends, on a real client and broker:
#   - its reader goes away (`mqttka -i any --json | head -n 3`): exit 0, no
#     error flood, quickly;
#   - -c N on `any`: stops by itself after N records, LINUX_SLL2;
#   - SIGTERM: the still open connection's summary, verdict `open`, exit 0.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_paho

start_broker
FILTER="tcp port $WS_PORT"

mkfifo "$TMP/head.fifo"
head -n 3 <"$TMP/head.fifo" >"$TMP/head.out" &
PIDS+=("$!")
"${RT[@]}" "$MQTTKA" -i any --json "$FILTER" >"$TMP/head.fifo" 2>"$TMP/head.err" &
HEAD_PID=$!
PIDS+=("$HEAD_PID")
"${RT[@]}" "$MQTTKA" -i any -c 8 --json "$FILTER" >"$TMP/count.out" 2>"$TMP/count.err" &
COUNT_PID=$!
PIDS+=("$COUNT_PID")
start_mqttka term -i lo "$FILTER"
TERM_PID=$MQTTKA_PID
wait_for 30 grep -qs "listening on" "$TMP/head.err" || fail "mqttka | head did not start"
wait_for 30 grep -qs "listening on" "$TMP/count.err" || fail "mqttka -c did not start"

# The client's PINGREQs (keepalive 5) give mqttka | head more to write once
# head has gone; the client stays connected until the test ends it, so the
# connection is still open at SIGTERM however long the steps before take.
start_client "$TMP/client.log" "$WS_PORT" 5

# Generous: under ASan on a loaded machine the client may take seconds to
# connect, and mqttka only learns its reader is gone at its next write.
if wait_exit "$HEAD_PID" 40; then
    [ "$EXIT_STATUS" -eq 0 ] || fail "mqttka | head -n 3 exited $EXIT_STATUS: $(cat "$TMP/head.err")"
    [ "$(wc -l <"$TMP/head.out")" -eq 3 ] || fail "head got: $(cat "$TMP/head.out")"
    lines=$(wc -l <"$TMP/head.err")
    [ "$lines" -le 2 ] || fail "mqttka | head wrote $lines lines on stderr: $(head -5 "$TMP/head.err")"
else
    fail "mqttka did not stop within 40 s after its reader went away (head got $(wc -l <"$TMP/head.out") lines; client log: $(tail -3 "$TMP/client.log" 2>/dev/null | tr '\n' ' '))"
fi

if wait_exit "$COUNT_PID" 30; then
    [ "$EXIT_STATUS" -eq 0 ] || fail "mqttka -c 8 exited $EXIT_STATUS: $(cat "$TMP/count.err")"
    cap=$(grep '"type":"capture"' "$TMP/count.out")
    echo "$cap" | grep -q '"link_type":"LINUX_SLL2"' || fail "-i any is not LINUX_SLL2: $cap"
    echo "$cap" | grep -q '"records":8,' || fail "-c 8 read other than 8 records: $cap"
    grep -q '"type":"ws_handshake"' "$TMP/count.out" || fail "-i any: no WebSocket handshake decoded"
    grep -q '"type":"connection"' "$TMP/count.out" || fail "-c 8: no connection summary"
else
    fail "mqttka -c 8 did not stop by itself"
fi

wait_for 30 grep -q "keepalive_negotiated" "$TMP/term.out" || fail "no keepalive_negotiated live"
kill -TERM "$TERM_PID"
if wait_exit "$TERM_PID" 30; then
    [ "$EXIT_STATUS" -eq 0 ] || fail "SIGTERM: exit $EXIT_STATUS"
    grep -q "VERDICT      open" "$TMP/term.out" || fail "SIGTERM: no 'open' verdict: $(tail -20 "$TMP/term.out")"
    grep -q "still open at the end of the capture" "$TMP/term.out" || fail "SIGTERM: close line"
    grep -q "packets captured" "$TMP/term.err" || fail "SIGTERM: no counters on stderr"
else
    fail "mqttka did not stop within 30 s of SIGTERM"
fi
finish
