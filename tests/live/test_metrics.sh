#!/bin/bash
# test_metrics.sh - mqttka -i lo --json --metrics 127.0.0.1:0 against real
# traffic: mosquitto and paho python clients (metrics_clients.py) that
#   - connect as "metrics-a" three times over a WebSocket, one after the
#     other, each time until two ping pairs, then DISCONNECT;
#   - connect as "metrics-b" once over TCP, the same way;
#   - connect twice over TCP with an empty client id;
#   - then hold one connection open ("metrics-hold", keepalive 60: no ping).
# With that connection open and nothing else flowing, curl scrapes
# /metrics: the page must pass `promtool check metrics` (Debian's
# prometheus package) and check_metrics.py's strict reading of the format,
# and every counter must equal what mqttka's own JSON output of the run says
# up to then (connections open 1). Then the held client is killed; once its
# summary is out, a second scrape must agree again (open 0). With
# --metrics-clients 1, "metrics-a" (the first to reconnect) has a series of
# its own and the empty ids' reconnect goes to the "other" counter.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_program curl
need_paho
"$MQTTKA" --help | grep -q -- "--metrics" || skip "mqttka was built without libmicrohttpd (no --metrics)"

start_broker
start_mqttka run -i lo --json --metrics 127.0.0.1:0 --metrics-clients 1 \
    "tcp port $TCP_PORT or tcp port $WS_PORT"
RUN_PID=$MQTTKA_PID
URL=$(sed -n 's/^mqttka: metrics at \(http:[^ ]*\)$/\1/p' "$TMP/run.err")
[ -n "$URL" ] || { fail "mqttka did not say where it serves the metrics: $(cat "$TMP/run.err")"; finish; }

clients() { # LOG ARGS...: one metrics_clients.py run to its end
    local log=$1
    shift
    "${RT[@]}" "$PY" "$HERE/metrics_clients.py" --log "$TMP/$log" "$@" >>"$TMP/$log.stderr" 2>&1
}
clients a.log --port "$WS_PORT" --transport websockets --client-id metrics-a --times 3 ||
    fail "metrics-a: $(tail -3 "$TMP/a.log")"
clients b.log --port "$TCP_PORT" --client-id metrics-b ||
    fail "metrics-b: $(tail -3 "$TMP/b.log")"
clients empty.log --port "$TCP_PORT" --client-id "" --times 2 ||
    fail "empty id: $(tail -3 "$TMP/empty.log")"
"${RT[@]}" "$PY" "$HERE/metrics_clients.py" --log "$TMP/hold.log" --port "$TCP_PORT" \
    --client-id metrics-hold --ka 60 --hold >"$TMP/hold.stderr" 2>&1 &
HOLD_PID=$!
PIDS+=("$HOLD_PID")

json() { cut -d' ' -f2- "$TMP/run.out"; }
# The six connections that ended have their summaries, and the held one its
# CONNACK: after that nothing flows (keepalive 60) until the test acts.
settled() {
    [ "$(json | grep -c '"type":"connection"')" -ge "$1" ] &&
        json | grep -q '"kind":"keepalive_negotiated".*"client_id":"metrics-hold"'
}
wait_running 30 run "$RUN_PID" settled 6 ||
    fail "mqttka did not report the six connections and the held one: $(tail -3 "$TMP/run.out")"

scrape() { # NAME: the page and its headers into $TMP/NAME.{page,headers}
    curl -sS --max-time 10 -D "$TMP/$1.headers" -o "$TMP/$1.page" "$URL" ||
        fail "curl $URL failed"
}
check() { # NAME: the page against the format and the JSON so far
    json >"$TMP/$1.jsonl"
    "$PY" "$HERE/check_metrics.py" "$TMP/$1.page" "$TMP/$1.headers" "$TMP/$1.jsonl" 1 ||
        fail "$1: the metrics do not match the JSON output (above)"
    if command -v promtool >/dev/null 2>&1; then
        promtool check metrics <"$TMP/$1.page" >"$TMP/$1.promtool" 2>&1 ||
            fail "$1: promtool check metrics: $(cat "$TMP/$1.promtool")"
    else
        echo "note: promtool not installed (apt-get install prometheus): checked by check_metrics.py alone" >&2
    fi
}
value() { # NAME SERIES: a sample's value on the page
    awk -v s="$2" '$1 == s { print $2 }' "$TMP/$1.page"
}

scrape open
check open
[ "$(value open mqttka_connections_open)" = 1 ] || fail "connections open: $(value open mqttka_connections_open), want 1 (the held one)"
[ "$(value open mqttka_connections_total)" = 7 ] || fail "connections: $(value open mqttka_connections_total), want 7"
[ "$(value open 'mqttka_client_reconnects_total{client_id="metrics-a"}')" = 2 ] ||
    fail "metrics-a connected 3 times: $(grep reconnects "$TMP/open.page")"
[ "$(value open mqttka_client_reconnects_other_total)" = 1 ] ||
    fail "the empty id's reconnect is not in other: $(grep reconnects "$TMP/open.page")"
pings=$(value open mqttka_pingresp_total)
[ "${pings:-0}" -ge 12 ] || fail "6 connections of 2 ping pairs each, but PINGRESPs: $pings"

kill "$HOLD_PID"
wait_running 30 run "$RUN_PID" settled 7 || fail "no summary for the held connection once killed"
scrape closed
check closed
[ "$(value closed mqttka_connections_open)" = 0 ] || fail "connections open after all closed: $(value closed mqttka_connections_open)"

stop_mqttka "$RUN_PID" run
finish
