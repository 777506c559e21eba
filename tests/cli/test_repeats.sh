#!/bin/bash
# test_repeats.sh - less noise, same facts (issue 14). On every sample:
#   - the text timeline tells each cause (connection, kind, severity,
#     direction) once: as many finding lines as the JSON has such groups,
#     pingresp_rtt left out;
#   - with -v, every finding event of the JSON is a line of the timeline;
#   - the JSON summary's finding_counts count the JSON's finding events.
# On tcp-golang-ka5 (paho.mqtt.golang 1.1.1, keepalive 5: a PINGREQ about
# 6 s after its last packet, past KAe + tol, on a healthy connection):
# client_silent_over_keepalive is one line of the timeline, and the summary
# gives its count, frames and range as the JSON's events say.
. "$(dirname "$0")/lib.sh"
need_jq

timeline_findings() { grep -c '^ *[0-9.?]* #[0-9]* [CS]>[CS]    ! ' || true; }

for capture in $(all_samples); do
    "$MQTTKA" --json -r "$capture" >"$TMP/out.jsonl" || fail "$capture --json: exit $?"
    groups=$(jq -s '[.[] | select(.type == "finding" and .kind != "pingresp_rtt")
                     | [.conn, .kind, .severity, .dir]] | unique | length' "$TMP/out.jsonl")
    all=$(jq -s '[.[] | select(.type == "finding")] | length' "$TMP/out.jsonl")
    told=$("$MQTTKA" -r "$capture" | timeline_findings)
    [ "$told" -eq "$groups" ] || fail "$capture: $told finding lines in the timeline for $groups causes"
    told=$("$MQTTKA" -v -r "$capture" | timeline_findings)
    [ "$told" -eq "$all" ] || fail "$capture -v: $told finding lines for $all finding events"
    bad=$(jq -s '
        (map(select(.type == "finding" and .kind != "pingresp_rtt"))
         | group_by([.conn, .kind, .severity, .dir])
         | map({key: ([.[0].conn, .[0].kind, .[0].severity, .[0].dir] | tostring), value: length})
         | from_entries) as $events
        | [.[] | select(.type == "connection") | .conn as $c | .finding_counts[]
           | select($events[[$c, .kind, .severity, .dir] | tostring] != .count)] | length' "$TMP/out.jsonl")
    [ "$bad" = 0 ] || fail "$capture: $bad finding_counts entries differ from the finding events"
done

golang=$SAMPLES/tcp-golang-ka5.pcap
[ -f "$golang" ] || skip "no tcp-golang-ka5 sample"
"$MQTTKA" --json -r "$golang" >"$TMP/g.jsonl"
n=$(jq -s '[.[] | select(.type == "finding" and .kind == "client_silent_over_keepalive")] | length' "$TMP/g.jsonl")
[ "$n" -ge 2 ] || fail "tcp-golang-ka5: $n client_silent_over_keepalive findings; the sample should repeat it"
"$MQTTKA" -r "$golang" >"$TMP/g.txt"
[ "$(grep -c '! warn  client_silent_over_keepalive' "$TMP/g.txt")" -eq 2 ] ||
    fail "tcp-golang-ka5: client_silent_over_keepalive not told once in the timeline and once in the summary: $(grep client_silent "$TMP/g.txt")"
# "       4 in all (frames 8..23), values 6.000..6.007 s": count, frames,
# range, against the JSON's events (the text rounds to 3 decimals).
want=$(jq -s -r '[.[] | select(.type == "finding" and .kind == "client_silent_over_keepalive")]
                 | [length, (map(.frame) | min), (map(.frame) | max), (map(.value) | min), (map(.value) | max)]
                 | map(tostring) | join(" ")' "$TMP/g.jsonl")
line=$(grep -A1 '^     ! warn  client_silent_over_keepalive' "$TMP/g.txt" | tail -1)
got=$(sed -n 's/^       \([0-9]*\) in all (frames \([0-9]*\)\.\.\([0-9]*\)), values \([0-9.]*\)\.\.\([0-9.]*\) s$/\1 \2 \3 \4 \5/p' <<<"$line")
awk -v g="$got" -v w="$want" 'BEGIN { n = split(g, a, " "); split(w, b, " ");
    if (n != 5) exit 1; for (i = 1; i <= 5; i++) if (a[i] - b[i] > 0.0005 || b[i] - a[i] > 0.0005) exit 1 }' ||
    fail "tcp-golang-ka5: the summary says '$line', the JSON events (count, frames, range) '$want'"
"$MQTTKA" -r "$golang" | grep -q pingresp_rtt && fail "tcp-golang-ka5: pingresp_rtt in the timeline without -v"
[ "$("$MQTTKA" -v -r "$golang" | grep -c '! info  pingresp_rtt')" -eq \
  "$(jq -s '[.[] | select(.type == "finding" and .kind == "pingresp_rtt")] | length' "$TMP/g.jsonl")" ] ||
    fail "tcp-golang-ka5 -v: not every pingresp_rtt in the timeline"
finish
