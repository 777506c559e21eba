#!/bin/bash
# test_fail_on.sh - --fail-on warn|error exits 1 exactly when a finding of
# that severity or worse was reported, and 0 otherwise, on every sample;
# when it exits 1, one line on stderr names every kind that reached the
# level with its count (as the JSON events say) and says nothing else.
. "$(dirname "$0")/lib.sh"
need_jq

for capture in $(all_samples); do
    "$MQTTKA" --json -r "$capture" >"$TMP/out" || { fail "$capture: exit $?"; continue; }
    has_error=$(jq -r 'select(.type == "finding" and .severity == "error") | 1' "$TMP/out" | head -1)
    has_warn=$(jq -r 'select(.type == "finding" and (.severity == "warn" or .severity == "error")) | 1' "$TMP/out" | head -1)
    want_error=$([ -n "$has_error" ] && echo 1 || echo 0)
    want_warn=$([ -n "$has_warn" ] && echo 1 || echo 0)
    "$MQTTKA" -q --fail-on error -r "$capture" >/dev/null 2>"$TMP/err.error"
    status=$?
    [ "$status" -eq "$want_error" ] || fail "$capture --fail-on error: exit $status, want $want_error"
    "$MQTTKA" -q --json --fail-on warn -r "$capture" >/dev/null 2>"$TMP/err.warn"
    status=$?
    [ "$status" -eq "$want_warn" ] || fail "$capture --fail-on warn: exit $status, want $want_warn"
    for level in error warn; do
        err=$TMP/err.$level
        sev='.severity == "error"'
        [ $level = warn ] && sev='(.severity == "warn" or .severity == "error")'
        # "kind xN" for every kind at the level, in the order first seen.
        want=$(jq -s -r "[.[] | select(.type == \"finding\" and $sev)] as \$f
                         | [\$f[] | .kind] | reduce .[] as \$k ([]; if index([\$k]) then . else . + [\$k] end)
                         | map(. as \$k | \"\(\$k) x\([\$f[] | select(.kind == \$k)] | length)\") | join(\", \")" "$TMP/out")
        if [ -z "$want" ]; then
            [ -s "$err" ] && fail "$capture --fail-on $level: exit 0 but stderr: $(cat "$err")"
            continue
        fi
        [ "$(wc -l <"$err")" -eq 1 ] || fail "$capture --fail-on $level: not one line on stderr: $(cat "$err")"
        got=$(sed -e "s/^mqttka: --fail-on $level: [0-9]* findings\?: //" -e 's/ (first #[0-9]* \(frame [0-9]*\|end of capture\))//g' "$err")
        [ "$got" = "$want" ] || fail "$capture --fail-on $level: stderr names '$got', the JSON '$want'"
    done
done

finish
