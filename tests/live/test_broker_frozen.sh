#!/bin/bash
# test_broker_frozen.sh - mqttka -i lo, live, against real components: a
# paho python client (keepalive 2) talking to mosquitto over a WebSocket.
# Two captures run at once on the same traffic: --json saving pcapng, and
# text saving pcap. Right after the first ping pair the client freezes the
# broker (SIGSTOP), sends its next PINGREQ and pauses itself: that PINGREQ
# goes unanswered and nothing flows, and pingreq_unanswered must come out
# of both captures, told by the clock, within T_resp + 1 s of the PINGREQ
# (T_resp = min(10 s, KAe/2) = 1 s). Then the client goes on, gives up on
# the broker and closes; once both -w files hold that close, SIGINT:
# summaries, counters, exit 0. The -w files open in tshark, hold the same
# packets, give each capture's own findings back with mqttka -r, and the
# same findings as each other.
. "$(dirname "$0")/lib.sh"
need_root
need_program mosquitto
need_program tshark
need_paho

KA=2
T_RESP=1
start_broker
FILTER="tcp port $WS_PORT"

# Both captures listen before the client starts: each sees the connection
# from its SYN.
start_mqttka json -i lo --json -w "$TMP/live.pcapng" -f "$FILTER"
JSON_PID=$MQTTKA_PID
start_mqttka text -i lo -w "$TMP/live.pcap" "$FILTER"
TEXT_PID=$MQTTKA_PID

start_client "$TMP/client.log" "$WS_PORT" "$KA" \
    --freeze-after-pingresp "$BROKER_PID" --pause-after-pingreq
client_paused() { grep -qs " PAUSED$" "$TMP/client.log" && stopped "$CLIENT_PID"; }
if ! wait_for 30 client_paused; then
    fail "the client did not freeze the broker and pause after its next PINGREQ: $(tail -5 "$TMP/client.log")"
    finish
fi
STOP_EPOCH=$(awk '$2 == "FROZE" { print $1 }' "$TMP/client.log")

# The broker and the client are frozen: no packet comes to tell mqttka
# that the PINGREQ is overdue; only its clock can. Each capture must tell
# it about the PINGREQ sent after the freeze (a broker slow to answer the
# first PINGREQ may have had a finding of its own); what follows needs both.
json_told() {
    cut -d' ' -f2- "$TMP/json.out" | jq -e -s --argjson t "$STOP_EPOCH" '
        [.[] | select(.type == "mqtt" and .packet == "PINGREQ" and .ts > $t) | .frame][0] as $f
        | $f != null and any(.[]; .type == "finding" and .kind == "pingreq_unanswered"
                                  and .frame == $f)' >/dev/null 2>&1
}
json_clock_told() {
    cut -d' ' -f2- "$TMP/json.out" | jq -s '[.[] | select(.type == "finding"
        and .kind == "pingreq_unanswered" and .reported_frame == null)] | length'
}
text_told() { [ "$(grep -c "pingreq_unanswered: .*has had no PINGRESP" "$TMP/text.out")" -ge "$1" ]; }
if ! wait_running 20 json "$JSON_PID" json_told; then
    fail "--json: no pingreq_unanswered while the broker and the client are frozen"
    finish
fi
if ! wait_running 20 text "$TEXT_PID" text_told "$(json_clock_told)"; then
    fail "text: no pingreq_unanswered while the broker and the client are frozen"
    finish
fi

# paho, going on, gives up on the unanswered PINGREQ (KA after it) and
# closes; the broker's kernel acknowledges the FIN even though mosquitto is
# frozen, and after that nothing flows. Stopping once both files hold the
# close stops both captures after the same packets.
kill -CONT "$CLIENT_PID"
wait_exit "$CLIENT_PID" 30 || fail "the client did not give up on the frozen broker"
"$PY" "$HERE/capture_records.py" wait-client-close 30 "$WS_PORT" "$TMP/live.pcapng" "$TMP/live.pcap" ||
    fail "the client's close did not reach both -w files"

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

# The saved files: tshark opens them (and reads every record mqttka says it
# captured from the pcapng); mqttka -r reads them.
tshark -r "$TMP/live.pcapng" >"$TMP/tshark.out" 2>"$TMP/tshark.err" ||
    fail "tshark cannot read live.pcapng: $(cat "$TMP/tshark.err")"
tshark -r "$TMP/live.pcap" -c 1 >/dev/null 2>"$TMP/tshark.err" ||
    fail "tshark cannot read live.pcap: $(cat "$TMP/tshark.err")"
for f in live.pcapng live.pcap; do
    "$MQTTKA" --json -r "$TMP/$f" >"$TMP/$f.replay" 2>"$TMP/replay.err" ||
        fail "mqttka -r $f failed: $(cat "$TMP/replay.err")"
done
records=$(sed -n 's/.*"type":"capture".*"records":\([0-9]*\).*/\1/p' "$TMP/json.out")
tshark_records=$(wc -l <"$TMP/tshark.out")
[ -n "$records" ] && [ "$records" -eq "$tshark_records" ] ||
    fail "mqttka captured ${records:-?} records, tshark reads $tshark_records from the pcapng"

# The --json capture against its own file: what it told live is what the
# file tells, but for what only the clock could tell.
"$PY" "$HERE/capture_records.py" list "$TMP/live.pcapng" >"$TMP/records"
"$PY" "$HERE/check_frozen.py" "$TMP/json.out" "$TMP/live.pcapng.replay" "$T_RESP" "$STOP_EPOCH" \
    "$TMP/records" >"$TMP/check.out"
check_status=$?
cat "$TMP/check.out"
[ "$check_status" -eq 0 ] || fail "check_frozen.py found problems"

# The text capture against its own file, the same way: every line alike
# but those of findings the clock told and the findings count.
"$MQTTKA" -r "$TMP/live.pcap" >"$TMP/live.pcap.text" 2>"$TMP/replay.err" ||
    fail "mqttka -r live.pcap (text) failed: $(cat "$TMP/replay.err")"
"$PY" "$HERE/compare_text.py" "$TMP/text.out" "$TMP/live.pcap.text" ||
    fail "the text capture and its -w file read back differ"

# The two captures against each other. Both listened before the client's
# SYN and stopped after its close, and nothing else matches the filter, so
# both files hold the same packets; not the same times (each libpcap handle
# stamps a packet itself) and, for packets the kernel hands over at the same
# instant on two CPUs, perhaps not in the same order. So the findings are
# compared by the packet each names, not by its frame number.
"$PY" "$HERE/capture_records.py" same "$TMP/live.pcapng" "$TMP/live.pcap" ||
    fail "the pcapng and the pcap file hold different packets"
"$PY" "$HERE/capture_records.py" findings "$TMP/live.pcapng" "$TMP/live.pcapng.replay" >"$TMP/a"
"$PY" "$HERE/capture_records.py" findings "$TMP/live.pcap" "$TMP/live.pcap.replay" >"$TMP/b"
[ -s "$TMP/a" ] || fail "no finding from the pcapng file"
cmp -s "$TMP/a" "$TMP/b" || fail "the pcap and pcapng files give different findings: $(diff "$TMP/a" "$TMP/b")"

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
