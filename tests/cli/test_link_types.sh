#!/bin/bash
# test_link_types.sh - every sample rewritten into each link type the reader
# knows (VLAN-tagged Ethernet, NULL both byte orders, LOOP, RAW, IPV4, SLL,
# SLL2) and into big-endian, nanosecond and pcapng files gives exactly the
# connections of the original: same frames, same times, same verdicts.
# A pcapng cut short is reported like a pcap cut short.
. "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON3:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || skip "no python3 to rewrite the captures"
RELINK="$(dirname "$0")/relink.py"

variants="vlan null-le null-be loop raw ipv4 sll sll2 pcap-be pcap-ns pcapng"
for sample_file in $(all_samples); do
    case $sample_file in *.pcapng) continue ;; esac
    capture="$TMP/$(basename "$sample_file")" # a snapshot: samples may be regenerated meanwhile
    cp "$sample_file" "$capture"
    "$MQTTKA" --json -r "$capture" | grep -v '"type":"capture"' >"$TMP/original.json"
    "$MQTTKA" -q -r "$capture" >"$TMP/original.txt"
    rm -f "$TMP"/variant.*
    # shellcheck disable=SC2086 # the variants are words
    "$PYTHON" "$RELINK" "$capture" "$TMP/variant" $variants || { fail "relink.py failed"; continue; }
    for v in $variants; do
        variant="$TMP/variant.$v"
        [ -f "$variant" ] || continue # the variant cannot hold this capture
        "$MQTTKA" --json -r "$variant" >"$TMP/variant.json" 2>"$TMP/err" ||
            fail "$capture as $v: exit $?: $(cat "$TMP/err")"
        grep -v '"type":"capture"' "$TMP/variant.json" | cmp -s - "$TMP/original.json" ||
            fail "$capture as $v: JSON differs: $(grep -v '"type":"capture"' "$TMP/variant.json" | diff "$TMP/original.json" - | head -4)"
        "$MQTTKA" -q -r "$variant" | cmp -s - "$TMP/original.txt" || fail "$capture as $v: text differs"
        # Nothing may be counted as malformed or cut: the IP lengths hold.
        grep '"type":"capture"' "$TMP/variant.json" | grep -q '"snapped":0,"payload_cut":0,"malformed":0' ||
            fail "$capture as $v: $(grep '"type":"capture"' "$TMP/variant.json")"
    done
done

# A pcapng file cut in its last block.
capture=$(sample ws-311-healthy.pcap)
"$PYTHON" "$RELINK" "$capture" "$TMP/whole.pcapng" pcapng
records=$("$MQTTKA" --json -r "$TMP/whole.pcapng" | sed -n 's/.*"type":"capture".*"records":\([0-9]*\),.*/\1/p')
size=$(wc -c <"$TMP/whole.pcapng")
head -c $((size - 9)) "$TMP/whole.pcapng" >"$TMP/cut.pcapng"
run 2 -q -r "$TMP/cut.pcapng" && {
    stderr_is_one_line "$TMP/cut.pcapng" "cut short after $((records - 1)) records"
    grep -q VERDICT "$TMP/out" || fail "cut pcapng: no summary before the cut"
}

finish
