#!/bin/bash
# test_broker_frozen.sh - mqttka -i lo, live, against real components: a
# paho python client (keepalive 2) talking to mosquitto over a WebSocket.
# Two captures run at once on the same traffic: --json saving pcapng, and
# text saving pcap. After a ping pair the broker is frozen with SIGSTOP:
# the client's next PINGREQ goes unanswered, and pingreq_unanswered must
# appear within T_resp + 1 s of it (T_resp = min(10 s, KAe/2) = 1 s) while
# no packet flows. Then SIGINT: summaries, counters, exit 0; the -w files
# open in tshark and give the same findings with mqttka -r.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_program tshark
need_paho

KA=2
T_RESP=1
start_broker
FILTER="tcp port $WS_PORT"

start_mqttka json -i lo --json -w "$TMP/live.pcapng" -f "$FILTER"
JSON_PID=$MQTTKA_PID
start_mqttka text -i lo -w "$TMP/live.pcap" "$FILTER"
TEXT_PID=$MQTTKA_PID

start_client "$TMP/client.log" "$WS_PORT" "$KA"
# A first ping pair (PINGREQ about KA after CONNECT), seen live.
wait_for 8 grep -q '"packet":"PINGRESP"' "$TMP/json.out" ||
    fail "no PINGRESP printed live within 8 s: $(tail -3 "$TMP/json.out")"

kill -STOP "$BROKER_PID"
STOPPED+=("$BROKER_PID")
STOP_EPOCH=$(date +%s.%N)
wait_for 6 grep -q '"kind":"pingreq_unanswered"' "$TMP/json.out" ||
    fail "no pingreq_unanswered within 6 s of freezing the broker"
# paho gives up about KA after its unanswered PINGREQ: its close is on the wire.
wait_exit "$CLIENT_PID" 8 || fail "the client did not give up on the frozen broker"
sleep 0.3

stop_mqttka "$JSON_PID" json
stop_mqttka "$TEXT_PID" text
kill -CONT "$BROKER_PID"

# Text: the same items, flushed line by line.
for want in "WebSocket handshake 101" "CONNECT v3.1.1 keepalive $KA" "keepalive_negotiated" \
            "PINGREQ  silence" "PINGRESP  rtt" "pingreq_unanswered" "== #1 " "VERDICT" \
            "capture: "; do
    grep -qF -- "$want" "$TMP/text.out" || fail "text output lacks '$want'"
done
for f in json text; do
    grep -q "packets captured, [0-9]* received by filter, [0-9]* dropped by kernel" "$TMP/$f.err" ||
        fail "$f: no libpcap counters on stderr: $(cat "$TMP/$f.err")"
done

# The saved files: tshark opens them; mqttka -r reads them to the same findings.
for f in live.pcapng live.pcap; do
    tshark -r "$TMP/$f" -c 1 >/dev/null 2>"$TMP/tshark.err" ||
        fail "tshark cannot read $f: $(cat "$TMP/tshark.err")"
    "$MQTTKA" --json -r "$TMP/$f" >"$TMP/$f.replay" 2>"$TMP/replay.err" ||
        fail "mqttka -r $f failed: $(cat "$TMP/replay.err")"
done
records=$(sed -n 's/.*"type":"capture".*"records":\([0-9]*\).*/\1/p' "$TMP/json.out")
tshark_records=$(tshark -r "$TMP/live.pcapng" 2>/dev/null | wc -l)
[ -n "$records" ] && [ "$records" -eq "$tshark_records" ] ||
    fail "mqttka captured ${records:-?} records, tshark reads $tshark_records from the pcapng"
tshark -r "$TMP/live.pcapng" -T fields -e frame.time_epoch >"$TMP/times" 2>/dev/null
"$PY" "$HERE/check_frozen.py" "$TMP/json.out" "$TMP/live.pcapng.replay" "$T_RESP" "$STOP_EPOCH" \
    "$TMP/times" >"$TMP/check.out"
check_status=$?
cat "$TMP/check.out"
[ "$check_status" -eq 0 ] || fail "check_frozen.py found problems"
# Both files hold the same records: the same findings from each.
jq -c 'select(.type=="finding") | [.frame, .kind]' "$TMP/live.pcapng.replay" | sort -u >"$TMP/a"
jq -c 'select(.type=="finding") | [.frame, .kind]' "$TMP/live.pcap.replay" | sort -u >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || fail "the pcap and pcapng files give different findings"

# Text latency too: its pingreq_unanswered line against the PINGREQ's time.
text_arrival=$(grep -m1 "pingreq_unanswered" "$TMP/text.out" | cut -d' ' -f1)
frame=$(grep -m1 '"kind":"pingreq_unanswered"' "$TMP/json.out" | cut -d' ' -f2- | jq -r .frame)
req_ts=$(cut -d' ' -f2- "$TMP/json.out" |
         jq -r --argjson f "${frame:-0}" 'select(.type=="mqtt" and .frame==$f) | .ts')
if [ -n "$text_arrival" ] && [ -n "$req_ts" ]; then
    latency=$("$PY" -c "print('%.3f' % ($text_arrival - $req_ts))")
    echo "latency (text) $latency s"
    "$PY" -c "import sys; sys.exit(0 if $latency <= $T_RESP + 1 else 1)" ||
        fail "text finding $latency s after the PINGREQ"
else
    fail "no text pingreq_unanswered line or no PINGREQ time"
fi
finish
