#!/bin/bash
# test_bad_input.sh - inputs that are not captures exit 2 with one line on
# stderr naming the file and the reason, and print nothing else.
. "$(dirname "$0")/lib.sh"

check_input() {
    local path=$1 reason=$2
    run 2 -r "$path" && { stderr_is_one_line "$path" "$reason"; stdout_is_empty; }
    run 2 --json -q -r "$path" && stdout_is_empty
}

check_input "$TMP/missing.pcap" "No such file or directory"
mkdir "$TMP/adir.pcap"
check_input "$TMP/adir.pcap" "is a directory"
: >"$TMP/empty.pcap"
check_input "$TMP/empty.pcap" "empty file"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0' >"$TMP/picture.pcap"
check_input "$TMP/picture.pcap" "not a pcap or pcapng capture"
printf '\xd4\xc3' >"$TMP/short.pcap"
check_input "$TMP/short.pcap" "not a pcap or pcapng capture"
# A valid magic but a file header cut short.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00' >"$TMP/header-cut.pcap"
check_input "$TMP/header-cut.pcap" "cut short"

# The same through standard input.
"$MQTTKA" -r - <"$TMP/picture.pcap" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 2 ] || fail "a PNG on stdin did not exit 2"
stderr_is_one_line "stdin" "not a pcap or pcapng capture"
stdout_is_empty
"$MQTTKA" -r - </dev/null >"$TMP/out" 2>"$TMP/err"
[ $? -eq 2 ] || fail "empty stdin did not exit 2"
stderr_is_one_line "stdin" "empty"
: | "$MQTTKA" -r - >"$TMP/out" 2>"$TMP/err"
[ $? -eq 2 ] || fail "an empty pipe did not exit 2"
stderr_is_one_line "stdin" "empty"

# An unsupported link type: a pcap header for LINKTYPE_USB_LINUX (189).
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\xbd\0\0\0' >"$TMP/usb.pcap"
check_input "$TMP/usb.pcap" "not supported"

# A bad filter names itself.
capture=$(sample ws-311-healthy.pcap)
run 2 -r "$capture" -f "tcp port" && { stderr_is_one_line "bad filter" "tcp port"; stdout_is_empty; }

finish
