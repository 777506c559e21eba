#!/bin/bash
# test_privileges.sh - -Z USER: the capture opens as root, then mqttka runs
# as USER, and the -w file is created by USER (as tcpdump does) and opens
# in tshark run by USER; a missing user is one line and exit 2. Then the
# README's setcap way: a copy with cap_net_raw,cap_net_admin captures as
# nobody (skipped where the filesystem or the container refuses setcap).
. "$(dirname "$0")/lib.sh"
need_root
id nobody >/dev/null 2>&1 || skip "no user nobody"
command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed (apt-get install util-linux)"
AS_NOBODY=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
"${AS_NOBODY[@]}" test -x "$MQTTKA" || skip "nobody cannot run $MQTTKA"
NOBODY_UID=$(id -u nobody)

timeout 60 "$MQTTKA" -i lo -Z mqttka-no-such-user >"$TMP/out" 2>"$TMP/err"
status=$?
[ "$status" -eq 2 ] || fail "-Z with a missing user exited $status, expected 2"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "mqttka-no-such-user: no such user" "$TMP/err" ||
    fail "-Z with a missing user: $(cat "$TMP/err")"

# A folder nobody may write in, for the -w file.
chmod 755 "$TMP"
mkdir "$TMP/nobody"
chown nobody "$TMP/nobody"
start_mqttka z -i lo -Z nobody -w "$TMP/nobody/z.pcapng" "tcp port 9"
uid_line=$(grep '^Uid:' "/proc/$MQTTKA_PID/status")
read -r _ ruid euid suid _ <<<"$uid_line"
[ "$ruid" = "$NOBODY_UID" ] && [ "$euid" = "$NOBODY_UID" ] && [ "$suid" = "$NOBODY_UID" ] ||
    fail "after -Z nobody mqttka runs as: $uid_line"
grep -q '^Groups:[[:space:]]*$' "/proc/$MQTTKA_PID/status" ||
    [ "$(grep '^Groups:' "/proc/$MQTTKA_PID/status" | wc -w)" -le 2 ] ||
    fail "supplementary groups kept: $(grep '^Groups:' "/proc/$MQTTKA_PID/status")"
stop_mqttka "$MQTTKA_PID" z
[ "$(stat -c %U "$TMP/nobody/z.pcapng" 2>/dev/null)" = nobody ] ||
    fail "the -w file is not nobody's: $(ls -l "$TMP/nobody" 2>&1)"
if command -v tshark >/dev/null 2>&1; then
    "${AS_NOBODY[@]}" tshark -r "$TMP/nobody/z.pcapng" -c 1 >/dev/null 2>"$TMP/tshark.err" ||
        fail "tshark as nobody cannot read the -w file: $(cat "$TMP/tshark.err")"
fi

# setcap: what the README tells users who do not want to run it as root.
if command -v setcap >/dev/null 2>&1; then
    cp "$MQTTKA" "$TMP/nobody/mqttka-cap"
    chmod 755 "$TMP/nobody/mqttka-cap"
    if setcap cap_net_raw,cap_net_admin=eip "$TMP/nobody/mqttka-cap" 2>"$TMP/setcap.err"; then
        "${AS_NOBODY[@]}" "$TMP/nobody/mqttka-cap" -i lo "tcp port 9" </dev/null \
            >"$TMP/cap.out" 2>"$TMP/cap.err" &
        pid=$!
        PIDS+=("$pid")
        # It either listens or ends (refused): whichever comes first.
        started_or_gone() { grep -qs "listening on lo" "$TMP/cap.err" || ! kill -0 "$pid" 2>/dev/null; }
        wait_for 30 started_or_gone
        if grep -qs "listening on lo" "$TMP/cap.err"; then
            kill -INT "$pid"
            wait_exit "$pid" 30 && [ "$EXIT_STATUS" -eq 0 ] ||
                fail "the setcap copy did not stop cleanly: $(cat "$TMP/cap.err")"
        elif wait_exit "$pid" 30 && grep -q "no permission" "$TMP/cap.err"; then
            echo "note: capabilities are not honoured here (container?): $(cat "$TMP/cap.err")"
        else
            fail "the setcap copy run by nobody did not start: $(cat "$TMP/cap.err")"
        fi
    else
        echo "note: setcap refused here: $(cat "$TMP/setcap.err")"
    fi
fi
finish
