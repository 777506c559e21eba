#!/bin/bash
# test_compressed.sh - captures compressed by the gzip, zstd and lz4 command
# line tools are read as they are: the same output, byte for byte, as the
# plain file (text, JSON, -q), from a file and from a pipe; concatenated
# members of split pieces read as one stream; a compressed file cut short or
# damaged gives what it held, one line and status 2; compressed data that is
# not a capture, and formats not read, are refused in one line.
. "$(dirname "$0")/lib.sh"

"$MQTTKA" --version >"$TMP/version" || fail "--version"
has() { grep -q "$1 [0-9]" "$TMP/version"; }

tools=()
for t in gzip zstd lz4; do
    lib=$t
    [ "$t" = gzip ] && lib=zlib
    if ! has "$lib"; then
        echo "mqttka was built without $lib: $t not tested" >&2
        continue
    fi
    command -v "$t" >/dev/null 2>&1 || skip "the $t command is not installed (apt-get install $t)"
    tools+=("$t")
done
[ ${#tools[@]} -gt 0 ] || skip "mqttka was built without zlib, libzstd and liblz4"

compress() { # TOOL IN OUT
    case $1 in
    gzip) gzip -c "$2" >"$3" ;;
    zstd) zstd -q -c "$2" >"$3" ;;
    lz4) lz4 -q -B4 -c "$2" >"$3" ;; # 64 KiB blocks: a cut falls after some
    esac
}
suffix() { case $1 in gzip) echo gz ;; zstd) echo zst ;; lz4) echo lz4 ;; esac; }

for sample_file in $(all_samples); do
    base=$(basename "$sample_file")
    plain=$TMP/$base
    cp "$sample_file" "$plain"
    for mode in "" "--json" "-q"; do
        # shellcheck disable=SC2086
        "$MQTTKA" $mode -r "$plain" >"$TMP/plain.out" 2>&1 || fail "$base $mode: exit $?"
        for t in "${tools[@]}"; do
            packed=$TMP/$base.$(suffix "$t")
            [ -f "$packed" ] || compress "$t" "$plain" "$packed"
            # shellcheck disable=SC2086
            "$MQTTKA" $mode -r "$packed" >"$TMP/packed.out" 2>&1 ||
                fail "$base.$t $mode: exit $?: $(tail -1 "$TMP/packed.out")"
            cmp -s "$TMP/plain.out" "$TMP/packed.out" || fail "$base $t $mode: output differs"
        done
    done
    # Through a pipe, and under a name that says nothing.
    for t in "${tools[@]}"; do
        packed=$TMP/$base.$(suffix "$t")
        "$MQTTKA" --json -r - <"$packed" >"$TMP/pipe.out" 2>&1 || fail "$base $t on stdin: exit $?"
        "$MQTTKA" --json -r "$plain" | cmp -s - "$TMP/pipe.out" || fail "$base $t on stdin differs"
        cp "$packed" "$TMP/no-name"
        "$MQTTKA" --json -r "$TMP/no-name" | grep -v '"type":"capture"' >"$TMP/noname.out"
        "$MQTTKA" --json -r "$plain" | grep -v '"type":"capture"' | cmp -s - "$TMP/noname.out" ||
            fail "$base $t without a suffix differs"
    done
done

# A capture large enough for several compressed blocks (zstd's are up to
# 128 KiB): every sample, one after the other, four times over (all of
# them whatever MQTTKA_TEST_SAMPLES says: a few repeated compress too well
# for the cuts below to fall after a first block).
command -v editcap >/dev/null 2>&1 && command -v mergecap >/dev/null 2>&1 ||
    skip "editcap and mergecap are not installed (apt-get install wireshark-common)"
i=0
for round in 1 2 3 4; do
    for f in "$SAMPLES"/*.pcap; do
        case $f in *.pcapng) continue ;; esac
        i=$((i + 1))
        editcap -F pcap -t $((i * 100)) "$f" "$TMP/shift-$(printf %03d $i).pcap" >/dev/null
    done
done
mergecap -F pcap -a -w "$TMP/c.pcap" "$TMP"/shift-*.pcap
rm -f "$TMP"/shift-*.pcap
"$MQTTKA" --json -r "$TMP/c.pcap" >"$TMP/c.json"
records=$(grep '"type":"capture"' "$TMP/c.json" | sed 's/.*"records":\([0-9]*\),.*/\1/')

# Pieces compressed one by one and concatenated (cat a.gz b.gz): one stream.
for t in "${tools[@]}"; do
        # Piece 2 of a capture has no file header: compress the file header
        # and records apart, as a tool writing in chunks would.
        head -c 24 "$TMP/c.pcap" >"$TMP/head.bin"
        tail -c +25 "$TMP/c.pcap" >"$TMP/body.bin"
        compress "$t" "$TMP/head.bin" "$TMP/h.z"
        compress "$t" "$TMP/body.bin" "$TMP/b.z"
        cat "$TMP/h.z" "$TMP/b.z" >"$TMP/cat.z"
        "$MQTTKA" --json -r "$TMP/cat.z" | cmp -s - "$TMP/c.json" ||
            fail "$t: concatenated frames or members are not read as one stream"
done

for t in "${tools[@]}"; do
    packed=$TMP/c.pcap.$(suffix "$t")
    compress "$t" "$TMP/c.pcap" "$packed"
    size=$(wc -c <"$packed")
    # Cut short: everything before the cut reported, one line, status 2.
    head -c $((size * 3 / 4)) "$packed" >"$TMP/cut.$t"
    run 2 --json -r "$TMP/cut.$t" && {
        stderr_is_one_line "cut.$t" "capture is cut short after" "$t-compressed data ends inside"
        got=$(sed -n 's/.*cut short after \([0-9]*\) records.*/\1/p' "$TMP/err")
        [ -n "$got" ] && [ "$got" -gt 0 ] && [ "$got" -lt "$records" ] ||
            fail "$t cut: $got records of $records"
        grep -q '"complete":false' "$TMP/out" || fail "$t cut: the capture says complete"
        grep -q '"type":"connection"' "$TMP/out" || fail "$t cut: no connection reported"
        # What was read matches the whole file's first records.
        n=$(grep '"type":"capture"' "$TMP/out" | sed 's/.*"records":\([0-9]*\),.*/\1/')
        [ "$n" = "$got" ] || fail "$t cut: capture object says $n records, stderr $got"
    }
    # Damaged in the middle: one line, status 2, no crash.
    cp "$packed" "$TMP/bad.$t"
    printf '\xff\xff\xff\xff\xff\xff\xff\xff' |
        dd of="$TMP/bad.$t" bs=1 seek=$((size / 2)) conv=notrunc status=none
    run 2 -q -r "$TMP/bad.$t" && stderr_is_one_line "bad.$t" "records ("
done

# gzip data cut in its first bytes, and compressed data that is no capture.
if has zlib; then
    gzip -c "$TMP/c.pcap" | head -c 12 >"$TMP/tiny.gz"
    run 2 -r "$TMP/tiny.gz" && { stderr_is_one_line "tiny.gz" "gzip"; stdout_is_empty; }
    echo "hello, not a capture" | gzip -c >"$TMP/text.gz"
    run 2 -r "$TMP/text.gz" && {
        stderr_is_one_line "text.gz" "gzip-compressed, but not a pcap or pcapng capture inside"
        stdout_is_empty
    }
    : | gzip -c >"$TMP/empty.gz"
    run 2 -r "$TMP/empty.gz" && stderr_is_one_line "empty.gz" "empty inside"
fi
# Formats told but not read.
printf '\xfd7zXZ\x00\x00\x04' >"$TMP/x.xz"
run 2 -r "$TMP/x.xz" && stderr_is_one_line "x.xz" "xz-compressed: not read"
printf 'BZh91AY&SY' >"$TMP/x.bz2"
run 2 -r "$TMP/x.bz2" && stderr_is_one_line "x.bz2" "bzip2-compressed: not read"

finish
