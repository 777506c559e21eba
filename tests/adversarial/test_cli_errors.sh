#!/bin/bash
# test_cli_errors.sh - the input errors of issue 5, in every output mode:
# a nonexistent file, a directory, an empty file, a PNG renamed .pcap, a
# capture cut mid-record (pcap and pcapng), unreadable permissions. Each is
# one line on stderr naming the file, exit 2, and nothing on stdout except,
# for the cut capture, everything read before the cut (summaries included).
# Then every prefix of a sample (a capture cut at any byte): exit 0 or 2,
# never more than one line on stderr, never a crash.
#
#   test_cli_errors.sh MQTTKA SAMPLES_DIR     (tests/cli/lib.sh conventions)
. "$(dirname "$0")/../cli/lib.sh"

modes=("" "--json" "-q" "--json -q")

# one_error PATH REASON: every mode exits 2 with one line naming PATH and REASON.
one_error() {
    local path=$1 reason=$2 m
    for m in "${modes[@]}"; do
        # shellcheck disable=SC2086
        run 2 $m -r "$path" && { stderr_is_one_line "$path" "$reason"; stdout_is_empty; }
    done
}

one_error "$TMP/nonexistent.pcap" "No such file or directory"
mkdir "$TMP/folder.pcap"
one_error "$TMP/folder.pcap" "is a directory"
: >"$TMP/empty.pcap"
one_error "$TMP/empty.pcap" "empty file"
# A real PNG header and IHDR chunk, renamed .pcap.
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa\0\0\0\0IEND\xaeB`\x82' \
    >"$TMP/picture.pcap"
one_error "$TMP/picture.pcap" "not a pcap or pcapng capture"

# --tls-keylog (issue 17): a missing key log, and a file with no key line (its lines
# never echoed: they could be secrets); one line naming the key log, exit 2.
printf 'CLIENT_RANDOM not-hex-at-all 00\nhello\n' >"$TMP/keys.txt"
for m in "${modes[@]}"; do
    # shellcheck disable=SC2086
    run 2 $m -r "$(sample ws-311-healthy.pcap)" --tls-keylog "$TMP/nokeys.txt" &&
        { stderr_is_one_line "$TMP/nokeys.txt" "cannot read the TLS key log"; stdout_is_empty; }
    # shellcheck disable=SC2086
    run 2 $m -r "$(sample ws-311-healthy.pcap)" --tls-keylog "$TMP/keys.txt" &&
        { stderr_is_one_line "$TMP/keys.txt" "no TLS key log line"; stdout_is_empty; }
    grep -q "not-hex" "$TMP/err" && fail "$m: the key log's content was echoed"
done

# Cut mid-record: 7 bytes into the last record's data, as pcap and pcapng.
capture=$(sample ws-311-healthy.pcap)
run 0 -r "$capture" || finish
records=$(sed -n 's/^capture: \([0-9]*\) records.*/\1/p' "$TMP/out")
size=$(wc -c <"$capture")
head -c $((size - 7)) "$capture" >"$TMP/cut.pcap"
PYTHON=${PYTHON3:-python3}
"$PYTHON" "$(dirname "$0")/../cli/relink.py" "$capture" "$TMP/whole.pcapng" pcapng ||
    fail "relink.py could not write a pcapng"
ng_size=$(wc -c <"$TMP/whole.pcapng")
head -c $((ng_size - 9)) "$TMP/whole.pcapng" >"$TMP/cut.pcapng"
for cut in "$TMP/cut.pcap" "$TMP/cut.pcapng"; do
    for m in "${modes[@]}"; do
        # shellcheck disable=SC2086
        run 2 $m -r "$cut" || continue
        stderr_is_one_line "$cut" "cut short after $((records - 1)) records"
        case $m in
        "--json") grep -q '"complete":false' "$TMP/out" || fail "$m $cut: capture said complete" ;&
        "--json -q") grep -q '"type":"connection"' "$TMP/out" || fail "$m $cut: no connection before the cut" ;;
        *) grep -q 'VERDICT' "$TMP/out" || fail "$m $cut: no verdict before the cut" ;;
        esac
    done
done

# Unreadable, in every mode. As root, as nobody (setpriv), like test_unreadable.
chmod 755 "$TMP"
cp "$capture" "$TMP/secret.pcap"
chmod 000 "$TMP/secret.pcap"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    if command -v setpriv >/dev/null 2>&1 &&
       setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        cp "$MQTTKA" "$TMP/mqttka"
        chmod 755 "$TMP/mqttka"
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        echo "note: cannot drop root here: the unreadable file is not checked" >&2
        as_user=(skip)
    fi
fi
if [ "${as_user[0]:-}" != skip ]; then
    bin=$MQTTKA
    [ ${#as_user[@]} -gt 0 ] && bin=$TMP/mqttka
    for m in "${modes[@]}"; do
        # shellcheck disable=SC2086
        "${as_user[@]}" "$bin" $m -r "$TMP/secret.pcap" >"$TMP/out" 2>"$TMP/err" </dev/null
        status=$?
        [ "$status" -eq 2 ] || fail "unreadable ($m): exit $status, expected 2"
        stderr_is_one_line "$TMP/secret.pcap" "Permission denied"
        stdout_is_empty
    done
fi

# Every prefix of a small sample, about 300 of them: exit 0 (cut at a record
# boundary) or 2, at most one line on stderr, exactly one when 2.
small=$(sample ws-seed-connect.pcap)
small_size=$(wc -c <"$small")
step=$(( small_size / 300 + 1 ))
for ((n = 0; n <= small_size; n += step)); do
    head -c "$n" "$small" >"$TMP/prefix.pcap"
    "$MQTTKA" -r "$TMP/prefix.pcap" >"$TMP/out" 2>"$TMP/err" </dev/null
    status=$?
    lines=$(wc -l <"$TMP/err")
    case $status in
    0) [ "$lines" -eq 0 ] || fail "prefix $n: exit 0 with stderr: $(cat "$TMP/err")" ;;
    2) [ "$lines" -eq 1 ] || fail "prefix $n: exit 2 with $lines lines on stderr: $(cat "$TMP/err")" ;;
    *) fail "prefix $n: exit $status: $(head -c 300 "$TMP/err")" ;;
    esac
done

finish
