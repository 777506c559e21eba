#!/bin/bash
# test_fail_on.sh - --fail-on warn|error exits 1 exactly when a finding of
# that severity or worse was reported, and 0 otherwise, on every sample.
. "$(dirname "$0")/lib.sh"
need_jq

for capture in $(all_samples); do
    "$MQTTKA" --json -r "$capture" >"$TMP/out" || { fail "$capture: exit $?"; continue; }
    has_error=$(jq -r 'select(.type == "finding" and .severity == "error") | 1' "$TMP/out" | head -1)
    has_warn=$(jq -r 'select(.type == "finding" and (.severity == "warn" or .severity == "error")) | 1' "$TMP/out" | head -1)
    want_error=$([ -n "$has_error" ] && echo 1 || echo 0)
    want_warn=$([ -n "$has_warn" ] && echo 1 || echo 0)
    "$MQTTKA" -q --fail-on error -r "$capture" >/dev/null
    status=$?
    [ "$status" -eq "$want_error" ] || fail "$capture --fail-on error: exit $status, want $want_error"
    "$MQTTKA" -q --json --fail-on warn -r "$capture" >/dev/null
    status=$?
    [ "$status" -eq "$want_warn" ] || fail "$capture --fail-on warn: exit $status, want $want_warn"
done

finish
