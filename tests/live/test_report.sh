#!/bin/bash
# test_report.sh - mqttka -i lo --report, live, against a real mosquitto and
# paho client (keepalive 2): SIGUSR1 writes the page while the capture goes
# on, with the connection still open drawn up to that moment; after the
# broker is frozen and the client gives up, a second SIGUSR1 shows the
# verdict; SIGINT writes the last page. Every page is valid HTML that
# fetches nothing, and the last one draws what the run's JSON said.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_paho
"$PY" -c 'import html5lib' 2>/dev/null ||
    skip "python3-html5lib is not installed for $PY (apt-get install python3-html5lib)"
CHECK="$PY $HERE/../cli/check_report.py"
PAGE=$TMP/live.html

read -r TCP_PORT WS_PORT < <(free_ports 2 | tr '\n' ' ')
start_broker "$TCP_PORT" "$WS_PORT"
start_mqttka report -i lo --json --report "$PAGE" -f "tcp port $WS_PORT"
REPORT_PID=$MQTTKA_PID

# page_has SECONDS PATTERN: SIGUSR1 was sent; wait for the rewritten page.
page_has() {
    wait_for "$1" grep -q "$2" "$PAGE"
}

start_client "$TMP/client.log" "$WS_PORT" 2
wait_for 8 grep -q '"packet":"PINGRESP"' "$TMP/report.out" ||
    fail "no PINGRESP within 8 s: $(tail -3 "$TMP/report.out")"

# A snapshot: the connection is open, its ping pair drawn.
: >"$PAGE"
kill -USR1 "$REPORT_PID"
if page_has 5 '</html>'; then
    sleep 0.2
    cp "$PAGE" "$TMP/snapshot1.html"
    $CHECK valid "$TMP/snapshot1.html" --raw || fail "the first snapshot is not valid"
    grep -q 'snapshot while capturing on lo' "$TMP/snapshot1.html" || fail "snapshot: no 'snapshot' in the banner"
    grep -q '<tr id="row-1" data-conn="1" data-verdict="open"' "$TMP/snapshot1.html" ||
        fail "snapshot: connection 1 is not listed as open"
    grep -q '<g class="pair" data-conn="1"' "$TMP/snapshot1.html" || fail "snapshot: no ping pair drawn"
    grep -q 'still open' "$TMP/snapshot1.html" || fail "snapshot: the open end is not drawn"
else
    fail "no page within 5 s of SIGUSR1"
fi
kill -0 "$REPORT_PID" 2>/dev/null || fail "mqttka ended on SIGUSR1"

# The broker freezes; the client gives up; the broker, thawed, closes its
# side too: a second snapshot has the verdict.
kill -STOP "$BROKER_PID"
STOPPED+=("$BROKER_PID")
wait_exit "$CLIENT_PID" 10 || fail "the client did not give up on the frozen broker"
kill -CONT "$BROKER_PID"
wait_for 10 grep -q '"type":"connection"' "$TMP/report.out" || fail "no summary after the client left"
kill -USR1 "$REPORT_PID"
page_has 5 'data-verdict="client_closed_missing_pingresp"' ||
    fail "the second snapshot lacks the verdict: $(grep -o 'data-verdict="[a-z_]*"' "$PAGE" | sort -u | tr '\n' ' ')"
sleep 0.2
$CHECK valid "$PAGE" --raw || fail "the second snapshot is not valid"

stop_mqttka "$REPORT_PID" report
$CHECK valid "$PAGE" --raw || fail "the last page is not valid"
grep -q 'snapshot while capturing' "$PAGE" && fail "the last page still says snapshot"
# The last page draws what the JSON of the same run said (its markup is its
# DOM: the page has no script).
sed 's/^[0-9.]* //' "$TMP/report.out" | grep '^{' >"$TMP/report.json"
$CHECK dom "$PAGE" "$TMP/report.json" 25 10000 || fail "the last page does not draw the JSON"
finish
