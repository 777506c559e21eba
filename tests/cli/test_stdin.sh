#!/bin/bash
# test_stdin.sh - "-r -" gives exactly the output of "-r FILE", text and
# JSON, from a redirected file and from a pipe.
. "$(dirname "$0")/lib.sh"

for capture in $(all_samples); do
    for mode in "" "--json" "-q"; do
        # shellcheck disable=SC2086
        "$MQTTKA" $mode -r "$capture" >"$TMP/file.out" 2>&1
        file_status=$?
        # shellcheck disable=SC2086
        "$MQTTKA" $mode -r - <"$capture" >"$TMP/redirect.out" 2>&1
        redirect_status=$?
        # shellcheck disable=SC2086
        cat "$capture" | "$MQTTKA" $mode -r - >"$TMP/pipe.out" 2>&1
        pipe_status=$?
        [ "$file_status" -eq 0 ] || fail "$capture $mode: exit $file_status"
        [ "$redirect_status" -eq "$file_status" ] || fail "$capture $mode: stdin exit differs"
        [ "$pipe_status" -eq "$file_status" ] || fail "$capture $mode: pipe exit differs"
        cmp -s "$TMP/file.out" "$TMP/redirect.out" || fail "$capture $mode: -r - < file differs"
        cmp -s "$TMP/file.out" "$TMP/pipe.out" || fail "$capture $mode: cat | -r - differs"
    done
done

finish
