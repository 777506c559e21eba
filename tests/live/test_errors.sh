#!/bin/bash
# test_errors.sh - what goes wrong before a live capture starts is one line
# on stderr saying what to do, and exit 2: a missing interface, no
# permission (as an unprivileged user), a bad filter. -D lists lo.
. "$(dirname "$0")/lib.sh"
need_root

# run_mqttka EXPECTED_STATUS ARGS...: stdout in $TMP/out, stderr in $TMP/err.
run_mqttka() {
    local expected=$1
    shift
    timeout 60 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    local status=$?
    [ "$status" -eq "$expected" ] ||
        { fail "$* exited $status, expected $expected: $(head -c 300 "$TMP/err")"; return 1; }
}

# one_line SUBSTRING...: stderr is one line holding each substring, stdout empty.
one_line() {
    local lines s
    lines=$(wc -l <"$TMP/err")
    [ "$lines" -eq 1 ] || fail "expected one line on stderr, got $lines: $(cat "$TMP/err")"
    for s in "$@"; do
        grep -qF -- "$s" "$TMP/err" || fail "stderr lacks '$s': $(cat "$TMP/err")"
    done
    [ -s "$TMP/out" ] && fail "expected no output, got: $(head -c 200 "$TMP/out")"
    return 0
}

run_mqttka 2 "$MQTTKA" -i mqttka-no-such-if0 && one_line "mqttka-no-such-if0" "no such interface" "-D"
run_mqttka 2 "$MQTTKA" -i lo --json -f "tcp port" && one_line "bad filter" "tcp port"
run_mqttka 2 "$MQTTKA" -i lo -w "$TMP/no/such/dir/x.pcapng" && one_line "-w" "No such file"

run_mqttka 0 "$MQTTKA" -D && {
    grep -qE '^[0-9]+\.lo( |$)' "$TMP/out" || fail "-D does not list lo: $(cat "$TMP/out")"
    grep -qE '^[0-9]+\.lo .*Loopback' "$TMP/out" || fail "-D does not flag lo as Loopback"
}
run_mqttka 0 "$MQTTKA" --help && {
    grep -q -- "-i, --interface" "$TMP/out" || fail "--help lacks -i"
    grep -qi "not supported" "$TMP/out" && fail "--help still says live capture is not supported"
}

# No permission: as nobody, without capabilities.
if command -v setpriv >/dev/null 2>&1; then
    if setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$MQTTKA" 2>/dev/null; then
        run_mqttka 2 setpriv --reuid=nobody --regid=nogroup --clear-groups "$MQTTKA" -i lo &&
            one_line "lo" "no permission" "run as root" "setcap" "cap_net_raw,cap_net_admin"
    else
        echo "note: nobody cannot run $MQTTKA here; the no-permission check is left out"
    fi
fi
finish
