#!/bin/bash
# test_general_paths.sh MQTTKA MQTTKA_GENERAL ROOT - the packet path's fast
# paths against the general ones (core/compiler.h, MQTTKA_GENERAL_PATHS_ONLY):
# MQTTKA_GENERAL is mqttka built on a core where every segment takes the
# general path. Over every capture the tests hold (samples, held-out and
# derived captures, the capture fuzz corpus), `--json -v -r` must give the
# same records, the same error lines and the same exit status from both.
# A fast path that stops doing what its general path does for the same
# segment shows here when the output changes on one of them (the delivery
# of an ACK with data left out of push_steady: 31 captures differ); a step
# whose loss changes nothing these captures show (one a later segment's
# general steps redo) does not.
set -u
mqttka=$1 general=$2 root=$3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
runs=0 differ=0
for f in "$root"/samples/*.pcap* "$root"/tests/heldout/*.pcap* \
         "$root"/tests/heldout/derived/*.pcap* "$root"/fuzz/corpus/capture/*; do
    [ -f "$f" ] || continue
    "$mqttka" --json -v -r "$f" >"$TMP/a.out" 2>"$TMP/a.err"; a=$?
    "$general" --json -v -r "$f" >"$TMP/b.out" 2>"$TMP/b.err"; b=$?
    runs=$((runs + 1))
    if [ $a != $b ] || ! cmp -s "$TMP/a.out" "$TMP/b.out" || ! cmp -s "$TMP/a.err" "$TMP/b.err"; then
        differ=$((differ + 1))
        if [ $differ -le 3 ]; then
            echo "FAIL: ${f#"$root"/}: exit $a against $b on the general paths"
            diff "$TMP/a.out" "$TMP/b.out" | head -6
            diff "$TMP/a.err" "$TMP/b.err" | head -4
        fi
    fi
done
echo "$runs captures, $differ with another output on the general paths"
[ $runs -gt 500 ] || { echo "FAIL: only $runs captures found under $root"; exit 1; }
[ $differ -eq 0 ]
