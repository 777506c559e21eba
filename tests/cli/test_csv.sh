#!/bin/bash
# test_csv.sh - --format csv on every sample: RFC 4180 read strictly by
# check_csv.py (Python's csv module, strict, CRLF), one record per
# connection agreeing with the JSON summaries (their verdict details hold
# commas and quotes: the quoting is exercised); -q changes nothing; a
# header alone when there is no MQTT.
. "$(dirname "$0")/lib.sh"
need_jq
PY=${PYTHON3:-python3}

for capture in $(all_samples); do
    "$MQTTKA" --format csv -r "$capture" >"$TMP/out.csv" 2>"$TMP/err" || fail "$capture: exit $?"
    "$MQTTKA" --json -q -r "$capture" >"$TMP/out.jsonl" || fail "$capture --json: exit $?"
    "$PY" "$(dirname "$0")/check_csv.py" "$TMP/out.csv" "$TMP/out.jsonl" ||
        fail "$capture: the CSV does not read as RFC 4180 or differs from the JSON (above)"
    "$MQTTKA" --format csv -q -r "$capture" | cmp -s - "$TMP/out.csv" || fail "$capture: -q changes the CSV"
done

# No MQTT at all: the header alone.
plain=$(sample http-plain.pcap)
"$MQTTKA" --format csv -r "$plain" >"$TMP/plain.csv"
[ "$(wc -l <"$TMP/plain.csv")" -eq 1 ] && head -c 4 "$TMP/plain.csv" | grep -q '^uid,' ||
    fail "http-plain: more than the header: $(head -3 "$TMP/plain.csv")"

run 2 --format xml -r "$plain" && stderr_is_one_line "--format takes 'text', 'json' or 'csv'"
finish
