#!/bin/bash
# test_multi_interface.sh - a pcapng with two interfaces of different link
# types, made by dumpcap on lo (EN10MB, MQTT over WebSocket) and any
# (LINUX_SLL2, plain MQTT) at once with real mosquitto and paho clients
# (captures/make-multi-interface.sh), is read, not refused as libpcap 1.10
# refuses it: every MQTT packet tshark finds (by its own dissectors) is an
# MQTT event of mqttka at the same frame with the same type, the pings are
# those the clients logged, a BPF filter applies to both link types, and
# the file split in pieces by editcap and compressed reads the same.
. "$(dirname "$0")/lib.sh"
need_jq
HERE=$(cd "$(dirname "$0")" && pwd)
CAPTURE=$HERE/captures/multi-interface.pcapng
LOG=$HERE/captures/multi-interface.log
[ -f "$CAPTURE" ] || skip "no $CAPTURE (tests/cli/captures/make-multi-interface.sh makes it)"
WS_PORT=$(sed -n 's/.*interface 0 lo (tcp port \([0-9]*\).*/\1/p' "$LOG")
TCP_PORT=$(sed -n 's/.*interface 1 any (tcp port \([0-9]*\).*/\1/p' "$LOG")
[ -n "$WS_PORT" ] && [ -n "$TCP_PORT" ] || fail "no ports in $LOG"

run 0 --json -r "$CAPTURE" && cp "$TMP/out" "$TMP/multi.json"
cap=$(grep '"type":"capture"' "$TMP/multi.json")
[ "$(echo "$cap" | jq -r .link_type)" = "EN10MB,LINUX_SLL2" ] || fail "link types: $cap"
[ "$(echo "$cap" | jq .complete)" = true ] || fail "not complete: $cap"
[ "$(echo "$cap" | jq .malformed)" = 0 ] || fail "malformed records: $cap"

# Each connection, on its own interface, with the pings its client logged.
for side in ws tcp; do
    if [ $side = ws ]; then port=$WS_PORT transport=websocket; else port=$TCP_PORT transport=tcp; fi
    conn=$(jq -c --arg p ":$port" 'select(.type == "connection" and (.server | endswith($p)))' "$TMP/multi.json")
    [ -n "$conn" ] || { fail "$side: no connection to port $port"; continue; }
    [ "$(echo "$conn" | jq -r .transport)" = $transport ] || fail "$side: $conn"
    sent=$(grep -c "^$side .*PAHO Sending PINGREQ" "$LOG")
    got=$(grep -c "^$side .*PAHO Received PINGRESP" "$LOG")
    [ "$(echo "$conn" | jq .pingreq)" = "$sent" ] || fail "$side: PINGREQ $(echo "$conn" | jq .pingreq), the client sent $sent"
    [ "$(echo "$conn" | jq .pingresp)" = "$got" ] || fail "$side: PINGRESP $(echo "$conn" | jq .pingresp), the client got $got"
done

# The MQTT packets tshark finds: plain MQTT by its MQTT dissector, MQTT in
# WebSocket by the first byte of each unmasked binary frame.
if command -v tshark >/dev/null 2>&1; then
    {
        tshark -r "$CAPTURE" -d "tcp.port==$TCP_PORT,mqtt" -Y "mqtt && frame.interface_id == 1" \
            -T fields -e frame.number -e mqtt.msgtype 2>/dev/null
        tshark -r "$CAPTURE" -Y "websocket.opcode == 2 && frame.interface_id == 0" \
            -T fields -e frame.number -e data.data 2>/dev/null |
            while read -r frame data; do echo "$frame $((16#${data:0:1}))"; done
    } | tr '\t' ' ' | sort -n >"$TMP/tshark.txt"
    jq -r 'select(.type == "mqtt") | "\(.frame) \(.packet_type)"' "$TMP/multi.json" | sort -n >"$TMP/mqttka.txt"
    [ "$(wc -l <"$TMP/tshark.txt")" -ge 8 ] || fail "tshark found only: $(cat "$TMP/tshark.txt")"
    cmp -s "$TMP/tshark.txt" "$TMP/mqttka.txt" ||
        fail "MQTT packets (frame type) differ from tshark's: $(diff "$TMP/tshark.txt" "$TMP/mqttka.txt" | head -5)"
fi

# A filter applies to both link types: each port keeps its own connection.
for port in "$WS_PORT" "$TCP_PORT"; do
    run 0 --json -r "$CAPTURE" tcp port "$port" && {
        n=$(grep -c '"type":"connection"' "$TMP/out")
        [ "$n" = 1 ] || fail "tcp port $port: $n connections"
        grep '"type":"connection"' "$TMP/out" | grep -q "\"server\":\"127.0.0.1:$port\"" ||
            fail "tcp port $port: not its connection"
    }
done

# Split in pieces by editcap (which keeps both interfaces in each) and
# given in any order: the same output as the whole file. The interfaces'
# records are out of time order here (dumpcap writes each interface's in
# turn), across the cuts too: the pieces are read in the order they start
# (their earliest record), one after the other, as the whole file was.
grep -v '"type":"capture"' "$TMP/multi.json" | jq -c . >"$TMP/events.json"
if command -v editcap >/dev/null 2>&1; then
    editcap -c 7 "$CAPTURE" "$TMP/piece.pcapng" >/dev/null
    mapfile -t pieces < <(ls "$TMP"/piece_*.pcapng | sort -r)
    run 0 --json -r "${pieces[@]}" && {
        grep -v '"type":"capture"' "$TMP/out" | jq -c 'del(.file, .file_frame)' |
            cmp -s - "$TMP/events.json" || fail "the pieces differ from the whole file"
        [ "$(grep '"type":"capture"' "$TMP/out" | jq '[.files[] | .last_frame - .first_frame + 1 == .records] | all')" = true ] ||
            fail "the pieces were not read one after the other"
    }
fi
if "$MQTTKA" --version | grep -q "zlib [0-9]"; then
    gzip -c "$CAPTURE" >"$TMP/multi.pcapng.gz"
    run 0 --json -r "$TMP/multi.pcapng.gz" &&
        { cmp -s "$TMP/out" "$TMP/multi.json" || fail "the gzip copy differs"; }
fi

finish
