#!/bin/bash
# test_time_format.sh - --time-format: the text timeline's times, and the
# summaries' points in time, as seconds since the epoch or UTC, for the
# same events as the default (relative) output and the JSON's "ts".
. "$(dirname "$0")/lib.sh"
need_jq

capture=$(sample ws-broker-frozen.pcap ws-311-healthy.pcap)
# -v: every finding in the timeline, as in the JSON (repeats, pingresp_rtt).
run 0 -v -r "$capture" && cp "$TMP/out" "$TMP/relative.txt"
run 0 -v -r "$capture" --time-format relative && { cmp -s "$TMP/out" "$TMP/relative.txt" ||
    fail "--time-format relative is not the default"; }
run 0 -v -r "$capture" --time-format epoch && cp "$TMP/out" "$TMP/epoch.txt"
run 0 -v -r "$capture" --time-format utc && cp "$TMP/out" "$TMP/utc.txt"
run 0 --json -r "$capture" && cp "$TMP/out" "$TMP/events.json"

# Timeline lines: "<time> #<conn> <dir>  ...": the same lines, only the time
# differs; in epoch form it is the JSON event's ts, in UTC that time.
timeline() { grep -E '^ *[0-9?][^ ]* #[0-9]+ (C>S|S>C)  ' "$1"; }
timeline "$TMP/relative.txt" | sed -E 's/^ *[^ ]+ //' >"$TMP/rel.rest"
timeline "$TMP/epoch.txt" | sed -E 's/^ *[^ ]+ //' >"$TMP/epoch.rest"
timeline "$TMP/utc.txt" | sed -E 's/^ *[^ ]+ //' >"$TMP/utc.rest"
[ -s "$TMP/rel.rest" ] || fail "no timeline in the text output"
cmp -s "$TMP/rel.rest" "$TMP/epoch.rest" || fail "epoch: the timeline's lines differ beyond their time"
cmp -s "$TMP/rel.rest" "$TMP/utc.rest" || fail "utc: the timeline's lines differ beyond their time"

# Event times from JSON, in the timeline's order (a finding's time is its own).
jq -r 'select(.type != "connection" and .type != "capture" and .type != "client"
                 and .type != "fleet") | .ts' "$TMP/events.json" |
    awk '{printf "%.6f\n", $1}' >"$TMP/json.ts"
timeline "$TMP/epoch.txt" | awk '{print $1}' >"$TMP/epoch.ts"
cmp -s "$TMP/json.ts" "$TMP/epoch.ts" ||
    fail "epoch times are not the JSON's: $(diff "$TMP/json.ts" "$TMP/epoch.ts" | head -4)"
# Epoch width: 17 columns, right-aligned, so the columns after it line up.
timeline "$TMP/epoch.txt" | grep -qvE '^ *[0-9]{10}\.[0-9]{6} #' && fail "epoch: a time is not seconds.micros"
timeline "$TMP/utc.txt" | awk '{print $1}' >"$TMP/utc.ts"
while read -r epoch && read -r utc <&3; do
    want=$(date -u -d "@${epoch%.*}" +%Y-%m-%dT%H:%M:%S).${epoch#*.}Z
    [ "$utc" = "$want" ] || { fail "utc: $utc for $epoch (want $want)"; break; }
done <"$TMP/epoch.ts" 3<"$TMP/utc.ts"

# The summary's start and close in the chosen form; durations unchanged.
grep -q "^   time         $(head -1 "$TMP/utc.ts" | cut -c1-4)-" "$TMP/utc.txt" ||
    fail "utc: the summary's time line: $(grep '^   time' "$TMP/utc.txt")"
close_ts=$(jq -r 'select(.type == "connection") | .close.ts' "$TMP/events.json" | head -1)
if [ "$close_ts" != null ]; then
    grep -q "^   close .* at $(printf '%.6f' "$close_ts") " "$TMP/epoch.txt" ||
        fail "epoch: the close line does not say $close_ts: $(grep '^   close' "$TMP/epoch.txt")"
fi
grep '(.* s), started' "$TMP/relative.txt" | sed 's/.*(\(.* s\)), started.*/\1/' >"$TMP/d1"
grep '(.* s), started' "$TMP/utc.txt" | sed 's/.*(\(.* s\)), started.*/\1/' >"$TMP/d2"
cmp -s "$TMP/d1" "$TMP/d2" || fail "utc: the durations changed"

# JSON does not change.
run 0 --json -r "$capture" --time-format utc && { cmp -s "$TMP/out" "$TMP/events.json" ||
    fail "--time-format changed the JSON"; }

finish
