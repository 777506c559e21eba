#!/bin/bash
# test_unreadable.sh - a file the user may not read exits 2 with "Permission
# denied" and the file's name. As root, runs mqttka as nobody (setpriv).
. "$(dirname "$0")/lib.sh"

chmod 755 "$TMP"
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0' >"$TMP/secret.pcap"
chmod 000 "$TMP/secret.pcap"

as_user=()
if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null 2>&1 || skip "running as root without setpriv"
    # nobody must be able to run the binary: use a copy in the open folder.
    cp "$MQTTKA" "$TMP/mqttka"
    chmod 755 "$TMP/mqttka"
    MQTTKA="$TMP/mqttka"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    "${as_user[@]}" true 2>/dev/null || skip "setpriv cannot switch to uid 65534 here"
fi

"${as_user[@]}" "$MQTTKA" -r "$TMP/secret.pcap" >"$TMP/out" 2>"$TMP/err" </dev/null
status=$?
[ "$status" -eq 2 ] || fail "an unreadable file exited $status, expected 2"
stderr_is_one_line "$TMP/secret.pcap" "Permission denied"
stdout_is_empty

finish
