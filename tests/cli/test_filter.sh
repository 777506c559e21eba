#!/bin/bash
# test_filter.sh - -f applies a BPF filter but frame numbers stay those of the
# file: a finding keeps its frame when a filter drops records before it.
. "$(dirname "$0")/lib.sh"
need_jq

capture=$(sample ws-broker-frozen.pcap ws-client-frozen.pcap ws-311-healthy.pcap)

# A filter that keeps nothing: no connection, but every record still read.
run 0 -r "$capture" || finish
all_line=$(grep '^capture:' "$TMP/out")
records=$(sed -n 's/^capture: \([0-9]*\) records.*/\1/p' "$TMP/out")
run 0 -r "$capture" -f udp && {
    grep -q '^== #' "$TMP/out" && fail "-f udp still printed a connection"
    grep -q "^capture: $records records (.*), 0 matched the filter" "$TMP/out" ||
        fail "-f udp: $(grep '^capture:' "$TMP/out") (unfiltered: $all_line)"
}
run 0 --json -r "$capture" -f udp && {
    grep -q '"type":"connection"' "$TMP/out" && fail "-f udp --json still printed a connection"
    [ "$(jq -r 'select(.type == "capture") | .records' "$TMP/out")" = "$records" ] ||
        fail "-f udp --json: the capture object does not count every record"
}

# Pure ACKs (no flags but ACK, no payload) carry nothing the analyzer needs:
# dropping them must not move any frame number.
no_pure_acks='not (tcp[13] == 0x10 and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0)'
frames() { jq -c 'select(.type == "finding" or .type == "mqtt") | [.type, .kind // .packet, .frame, .reported_frame]'; }
"$MQTTKA" --json -r "$capture" | frames >"$TMP/all.frames"
"$MQTTKA" --json -r "$capture" -f "$no_pure_acks" >"$TMP/filtered.json" ||
    fail "the ACK filter did not run"
frames <"$TMP/filtered.json" >"$TMP/filtered.frames"
matched=$(jq -r 'select(.type == "capture") | .matched' "$TMP/filtered.json")
[ "$matched" -lt "$records" ] || fail "the ACK filter dropped no record ($matched of $records)"
[ -s "$TMP/all.frames" ] || fail "no finding or packet in $capture"
jq -s -e 'map(select(.type == "finding")) | length > 0' "$TMP/filtered.json" >/dev/null ||
    fail "no finding left with the ACK filter"
cmp -s "$TMP/all.frames" "$TMP/filtered.frames" ||
    fail "frames moved under a filter: $(diff "$TMP/all.frames" "$TMP/filtered.frames" | head -5)"

# The filter may also come as the words after the options, as with tcpdump.
"$MQTTKA" --json -r "$capture" not '(' tcp[13] == 0x10 and ip[2:2] - '((ip[0] & 0xf) << 2)' - '((tcp[12] & 0xf0) >> 2)' == 0 ')' |
    frames >"$TMP/words.frames"
cmp -s "$TMP/all.frames" "$TMP/words.frames" || fail "a filter given as words differs from -f"

finish
