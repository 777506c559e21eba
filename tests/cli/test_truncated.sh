#!/bin/bash
# test_truncated.sh - a capture cut in the middle of a record: everything
# before the cut is analysed and reported (summaries included), then one line
# says the file is cut short, and the exit status is 2.
. "$(dirname "$0")/lib.sh"

capture=$(sample ws-311-healthy.pcap ws-seed-connect.pcap)
run 0 -r "$capture" || finish
records=$(sed -n 's/^capture: \([0-9]*\) records.*/\1/p' "$TMP/out")
[ -n "$records" ] || { fail "no capture line in the output"; finish; }

size=$(wc -c <"$capture")
cut="$TMP/cut.pcap"
head -c $((size - 7)) "$capture" >"$cut" # 7 bytes into the last record's data

run 2 -r "$cut" && {
    stderr_is_one_line "$cut" "capture is cut short after $((records - 1)) records"
    grep -q '^== #1 ' "$TMP/out" || fail "no connection summary before the cut"
    grep -q 'VERDICT' "$TMP/out" || fail "no verdict before the cut"
    grep -q "^capture: $((records - 1)) records.*input cut short" "$TMP/out" ||
        fail "the capture line does not say the input was cut short"
}
run 2 --json -r "$cut" && {
    grep -q '"type":"connection"' "$TMP/out" || fail "no JSON connection object before the cut"
    grep -q '"complete":false' "$TMP/out" || fail "the JSON capture object says complete"
}
run 2 -q -r "$cut" && grep -q 'VERDICT' "$TMP/out" || fail "-q: no verdict before the cut"

# Cut inside a record header (the second record's): one whole record read.
first_caplen=$(od -An -tu4 -j32 -N4 "$capture" | tr -d ' ')
head -c $((24 + 16 + first_caplen + 5)) "$capture" >"$cut"
run 2 -r "$cut" && stderr_is_one_line "$cut" "cut short after 1 records"

# The same from a pipe.
head -c $((size - 7)) "$capture" | "$MQTTKA" -r - >"$TMP/out" 2>"$TMP/err"
[ $? -eq 2 ] || fail "a cut capture on stdin did not exit 2"
stderr_is_one_line "stdin" "cut short after $((records - 1)) records"

finish
